package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/store"
	"github.com/courier-hl7/courier/internal/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// recorder is a destination that keeps what it receives, in order, and answers as a test
// tells it: it stands in for a receiving system.
type recorder struct {
	mu       sync.Mutex
	got      []string // MSH-10 of each delivered message, in order
	bodies   [][]byte
	failFor  map[string]int // control ID → how many more attempts fail
	failAll  bool
	answer   string // MSA-1 to answer with; default AA
	delay    time.Duration
	attempts map[string]int
}

func newRecorder() *recorder {
	return &recorder{failFor: map[string]int{}, attempts: map[string]int{}}
}

func (r *recorder) Send(ctx context.Context, out *connector.Outbound) (connector.Response, error) {
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-ctx.Done():
			return connector.Response{}, ctx.Err()
		}
	}
	id := out.Meta.ControlID
	if out.Message != nil {
		id = out.Message.ControlID()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[id]++
	if r.failAll {
		return connector.Response{}, errors.New("connection refused")
	}
	if n := r.failFor[id]; n != 0 {
		if n > 0 {
			r.failFor[id] = n - 1
		}
		return connector.Response{OK: false, Code: "AE", Text: "try again", Raw: []byte("MSH|^~\\&|R|R|C|C|20260101||ACK|X|P|2.5\rMSA|AE|" + id + "\r")}, nil
	}
	r.got = append(r.got, id)
	r.bodies = append(r.bodies, append([]byte(nil), out.Content...))
	code := r.answer
	if code == "" {
		code = "AA"
	}
	ack := "MSH|^~\\&|RCV|RCV|C|C|20260101||ACK^A01^ACK|D" + id + "|P|2.5\rMSA|" + code + "|" + id + "\r"
	return connector.Response{OK: code == "AA" || code == "CA", Code: code, Raw: []byte(ack)}, nil
}

func (r *recorder) Close(context.Context) error { return nil }

func (r *recorder) delivered() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func (r *recorder) set(f func(r *recorder)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r)
}

// newEngine opens a real SQLite store in a temporary directory and an engine on it.
func newEngine(t *testing.T) (*Engine, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "courier.db"), sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Options{Store: st, NodeID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
		_ = st.Close()
	})
	return e, st
}

func msg(id string, extra ...string) []byte {
	s := "MSH|^~\\&|SEND|FAC|RECV|FAC|20260101120000||ADT^A01^ADT_A01|" + id + "|P|2.5.1\rPID|1||MRN" + id + "^^^H^MR||DOE^JOHN\r"
	for _, e := range extra {
		s += e + "\r"
	}
	return []byte(s)
}

func msgFor(id, mrn string) []byte {
	return []byte("MSH|^~\\&|SEND|FAC|RECV|FAC|20260101120000||ADT^A08|" + id + "|P|2.5.1\rPID|1||" + mrn + "^^^H^MR||DOE^JOHN\r")
}

func receive(t *testing.T, e *Engine, channel string, raw []byte) connector.Reply {
	t.Helper()
	r, ok := e.Receiver(channel)
	if !ok {
		t.Fatalf("no channel %s", channel)
	}
	rep, err := r.Receive(context.Background(), &connector.Inbound{Raw: raw, Remote: "127.0.0.1:1"})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return rep
}

func ackCode(t *testing.T, ack []byte) string {
	t.Helper()
	if ack == nil {
		return ""
	}
	a, err := hl7.Parse(ack)
	if err != nil {
		t.Fatalf("ack does not parse: %v\n%q", err, ack)
	}
	return a.Get("MSA-1")
}

// waitFor polls cond until it holds or 10 seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func fastRetry() RetryPolicy {
	return RetryPolicy{Initial: 10 * time.Millisecond, Max: 40 * time.Millisecond, Jitter: 0.01}
}

func start(t *testing.T, e *Engine, cfgs ...ChannelConfig) {
	t.Helper()
	for _, c := range cfgs {
		if err := e.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestStoreThenAckAndDeliverInOrder(t *testing.T) {
	e, st := newEngine(t)
	a, b := newRecorder(), newRecorder()
	start(t, e, ChannelConfig{Name: "adt", DedupeWindow: time.Hour, Destinations: []DestinationConfig{
		{Name: "ehr", Dest: a, Retry: fastRetry()}, {Name: "archive", Dest: b, Retry: fastRetry()},
	}})
	var want []string
	for i := range 50 {
		id := fmt.Sprintf("C%03d", i)
		want = append(want, id)
		rep := receive(t, e, "adt", msg(id))
		if code := ackCode(t, rep.Ack); code != "AA" || !rep.Stored {
			t.Fatalf("ack %q stored %v", code, rep.Stored)
		}
		m, err := st.Message(context.Background(), rep.MessageID)
		if err != nil || m.Meta.ControlID != id || m.Meta.PatientID != "MRN"+id || len(m.Entries) != 2 {
			t.Fatalf("stored message: %+v %v", m, err)
		}
	}
	waitFor(t, "both destinations", func() bool { return len(a.delivered()) == 50 && len(b.delivered()) == 50 })
	if strings.Join(a.delivered(), ",") != strings.Join(want, ",") || strings.Join(b.delivered(), ",") != strings.Join(want, ",") {
		t.Errorf("order: %v / %v", a.delivered(), b.delivered())
	}
	waitFor(t, "status SENT", func() bool {
		ms, _ := st.Messages(context.Background(), store.Query{Channel: "adt", Status: store.StatusSent, Limit: 100})
		return len(ms) == 50
	})
}

func TestParseErrorIsStoredAndRejected(t *testing.T) {
	e, st := newEngine(t)
	rec := newRecorder()
	start(t, e, ChannelConfig{Name: "c", Destinations: []DestinationConfig{{Name: "d", Dest: rec}}})
	rep := receive(t, e, "c", []byte("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|BAD1|P|2.5\rPI|x\r"))
	a, _ := hl7.Parse(rep.Ack)
	if a.Get("MSA-1") != "AR" || a.Get("MSA-2") != "BAD1" || a.Get("ERR-3.1") != "100" {
		t.Errorf("ack = %q", rep.Ack)
	}
	m, err := st.Message(context.Background(), rep.MessageID)
	if err != nil || m.Status != store.StatusError || !strings.Contains(m.Error, "invalid segment name") || len(m.Entries) != 0 || string(m.Raw) == "" {
		t.Errorf("stored: %+v %v", m, err)
	}
	// Bytes that are no message at all are stored too, and answered with default delimiters.
	rep = receive(t, e, "c", []byte("hello"))
	if ackCode(t, rep.Ack) != "AR" || !rep.Stored {
		t.Errorf("garbage: %q", rep.Ack)
	}
}

func TestEnhancedModeAndAcceptAckTypes(t *testing.T) {
	e, _ := newEngine(t)
	start(t, e, ChannelConfig{Name: "c"})
	base := "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|%s|P|2.5|||%s|NE\rPID|1\r"
	for _, tt := range []struct{ accept, want string }{{"AL", "CA"}, {"SU", "CA"}, {"ER", ""}, {"NE", ""}} {
		rep := receive(t, e, "c", []byte(fmt.Sprintf(base, "E"+tt.accept, tt.accept)))
		if got := ackCode(t, rep.Ack); got != tt.want {
			t.Errorf("MSH-15 %s: ack %q, want %q", tt.accept, got, tt.want)
		}
	}
	// An acknowledgement is never acknowledged.
	rep := receive(t, e, "c", []byte("MSH|^~\\&|A|B|C|D|20260101||ACK^A01|K1|P|2.5\rMSA|AA|X\r"))
	if rep.Ack != nil || !rep.Stored {
		t.Errorf("ack of an ack: %q", rep.Ack)
	}
}

func TestDuplicatesReplayTheFirstAck(t *testing.T) {
	e, _ := newEngine(t)
	rec := newRecorder()
	start(t, e, ChannelConfig{Name: "c", DedupeWindow: time.Hour, Destinations: []DestinationConfig{{Name: "d", Dest: rec}}})
	first := receive(t, e, "c", msg("DUP1"))
	again := receive(t, e, "c", msg("DUP1"))
	if !again.Duplicate || string(again.Ack) != string(first.Ack) || again.MessageID != first.MessageID {
		t.Errorf("duplicate: %+v\nfirst: %q\nagain: %q", again, first.Ack, again.Ack)
	}
	// Same control ID from another sending application is another message.
	other := receive(t, e, "c", []byte(strings.Replace(string(msg("DUP1")), "|SEND|", "|OTHER|", 1)))
	if other.Duplicate {
		t.Error("another sender's message was taken for a duplicate")
	}
	waitFor(t, "deliveries", func() bool { return len(rec.delivered()) == 2 })
	time.Sleep(50 * time.Millisecond)
	if got := rec.delivered(); len(got) != 2 {
		t.Errorf("delivered %v", got)
	}
}

func TestTypeFilter(t *testing.T) {
	e, st := newEngine(t)
	rec := newRecorder()
	start(t, e, ChannelConfig{Name: "c", Processor: TypeFilter{"ADT^A08"}, Destinations: []DestinationConfig{{Name: "d", Dest: rec}}})
	rep := receive(t, e, "c", msg("F1")) // an A01
	if ackCode(t, rep.Ack) != "AA" {
		t.Errorf("filtered message ack %q", rep.Ack)
	}
	m, _ := st.Message(context.Background(), rep.MessageID)
	if m.Status != store.StatusFiltered || len(m.Entries) != 0 {
		t.Errorf("filtered message: %s, %d entries", m.Status, len(m.Entries))
	}
	receive(t, e, "c", msgFor("F2", "X"))
	waitFor(t, "the A08", func() bool { return len(rec.delivered()) == 1 })
}

func TestRetryKeepsOrder(t *testing.T) {
	e, st := newEngine(t)
	rec := newRecorder()
	rec.failFor["R1"] = 3
	start(t, e, ChannelConfig{Name: "c", Destinations: []DestinationConfig{{Name: "d", Dest: rec, Retry: fastRetry()}}})
	for _, id := range []string{"R1", "R2", "R3"} {
		receive(t, e, "c", msg(id))
	}
	waitFor(t, "all three", func() bool { return len(rec.delivered()) == 3 })
	if got := strings.Join(rec.delivered(), ","); got != "R1,R2,R3" {
		t.Errorf("order %s", got)
	}
	var m *store.Message
	waitFor(t, "R1 recorded as sent", func() bool {
		ms, _ := st.Messages(context.Background(), store.Query{ControlID: "R1"})
		m, _ = st.Message(context.Background(), ms[0].ID)
		return m.Status == store.StatusSent
	})
	if len(m.Attempts) != 4 || m.Attempts[0].ResponseCode != "AE" || m.Attempts[3].Outcome != "SENT" {
		for _, a := range m.Attempts {
			t.Errorf("attempt %+v", *a)
		}
	}
}

func TestGiveUpHoldsTheQueueUntilAnOperatorActs(t *testing.T) {
	e, st := newEngine(t)
	rec := newRecorder()
	rec.failFor["P1"] = -1 // poison: always refused
	retry := fastRetry()
	retry.MaxAttempts = 2
	start(t, e, ChannelConfig{Name: "c", Destinations: []DestinationConfig{{Name: "d", Dest: rec, Retry: retry}}})
	receive(t, e, "c", msg("P1"))
	receive(t, e, "c", msg("P2"))
	var stats []store.QueueStats
	waitFor(t, "the queue to be blocked", func() bool {
		stats, _ = st.Stats(context.Background())
		return len(stats) == 1 && stats[0].Errors == 1 && stats[0].BlockedBy != nil
	})
	time.Sleep(100 * time.Millisecond)
	if got := rec.delivered(); len(got) != 0 {
		t.Fatalf("P2 went past the poison message: %v", got)
	}
	// The operator skips the poison message; the queue moves on.
	if err := st.Skip(context.Background(), stats[0].BlockedBy.ID, "operator"); err != nil {
		t.Fatal(err)
	}
	e.channels["c"].wakeAll()
	waitFor(t, "P2", func() bool { return len(rec.delivered()) == 1 })
}

// TestQueueGauges: the queue gauges an operator alerts on — depth, errors, the age of the
// oldest waiting message, and whether a failing message holds the queue — follow the store.
func TestQueueGauges(t *testing.T) {
	e, st := newEngine(t)
	rec := newRecorder()
	rec.failFor["G1"] = -1 // poison: always refused
	retry := fastRetry()
	retry.MaxAttempts = 2
	start(t, e, ChannelConfig{Name: "c", Destinations: []DestinationConfig{{Name: "d", Dest: rec, Retry: retry}}})
	receive(t, e, "c", msg("G1"))
	receive(t, e, "c", msg("G2"))
	waitFor(t, "the queue to be blocked", func() bool {
		stats, _ := st.Stats(context.Background())
		return len(stats) == 1 && stats[0].Errors == 1 && stats[0].BlockedBy != nil
	})
	stats, err := st.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	gauge := func(g *prometheus.GaugeVec) float64 {
		var m dto.Metric
		if err := g.WithLabelValues("c", "d").Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetGauge().GetValue()
	}
	// Gauges of their own, which the engine's 5 s refresh does not touch.
	m := NewMetrics(nil)
	e.refreshQueueGauges(context.Background(), m, stats[0].Oldest.Add(90*time.Second))
	if d, er, age, b := gauge(m.QueueDepth), gauge(m.QueueError), gauge(m.QueueAge), gauge(m.QueueBlock); d != 1 || er != 1 || age != 90 || b != 1 {
		t.Errorf("blocked queue: depth %v, errors %v, oldest %v s, blocked %v; want 1, 1, 90, 1", d, er, age, b)
	}

	// Once the operator skips the poison message the queue drains: nothing waits, nothing blocks.
	if err := st.Skip(context.Background(), stats[0].BlockedBy.ID, "operator"); err != nil {
		t.Fatal(err)
	}
	e.channels["c"].wakeAll()
	waitFor(t, "G2 recorded as sent", func() bool {
		stats, _ := st.Stats(context.Background())
		return len(rec.delivered()) == 1 && len(stats) == 1 && stats[0].Pending == 0
	})
	e.refreshQueueGauges(context.Background(), m, time.Now())
	if d, er, age, b := gauge(m.QueueDepth), gauge(m.QueueError), gauge(m.QueueAge), gauge(m.QueueBlock); d != 0 || er != 0 || age != 0 || b != 0 {
		t.Errorf("drained queue: depth %v, errors %v, oldest %v s, blocked %v; want all 0", d, er, age, b)
	}
}

func TestGiveUpAndContinue(t *testing.T) {
	e, _ := newEngine(t)
	rec := newRecorder()
	rec.failFor["P1"] = -1
	retry := fastRetry()
	retry.MaxAttempts, retry.MoveOn = 2, true
	start(t, e, ChannelConfig{Name: "c", Destinations: []DestinationConfig{{Name: "d", Dest: rec, Retry: retry}}})
	receive(t, e, "c", msg("P1"))
	receive(t, e, "c", msg("P2"))
	waitFor(t, "P2", func() bool { return len(rec.delivered()) == 1 })
}

func TestKeyedLanes(t *testing.T) {
	e, _ := newEngine(t)
	rec := newRecorder()
	rec.failFor["K1"] = -1 // patient A's first message is refused
	p := hl7.MustParsePath("PID-3.1")
	start(t, e, ChannelConfig{Name: "c", Destinations: []DestinationConfig{{Name: "d", Dest: rec, Retry: fastRetry(), OrderBy: &p}}})
	receive(t, e, "c", msgFor("K1", "A"))
	receive(t, e, "c", msgFor("K2", "A"))
	receive(t, e, "c", msgFor("K3", "B"))
	receive(t, e, "c", msgFor("K4", "B"))
	waitFor(t, "patient B", func() bool { return len(rec.delivered()) == 2 })
	if got := strings.Join(rec.delivered(), ","); got != "K3,K4" {
		t.Errorf("delivered %s", got)
	}
	rec.set(func(r *recorder) { r.failFor["K1"] = 0 })
	waitFor(t, "patient A", func() bool { return len(rec.delivered()) == 4 })
	if got := strings.Join(rec.delivered()[2:], ","); got != "K1,K2" {
		t.Errorf("patient A order %s", got)
	}
}

func TestAfterDeliveryAnswersWithTheDownstreamAck(t *testing.T) {
	e, _ := newEngine(t)
	rec := newRecorder()
	start(t, e, ChannelConfig{Name: "c", AckMode: AckAfterDelivery, AckTimeout: 5 * time.Second, Destinations: []DestinationConfig{{Name: "d", Dest: rec}}})
	rep := receive(t, e, "c", msg("AD1"))
	a, _ := hl7.Parse(rep.Ack)
	if a.Get("MSA-1") != "AA" || a.Get("MSH-3") != "RCV" || a.Get("MSA-2") != "AD1" {
		t.Errorf("ack %q", rep.Ack)
	}
	// A receiver that does not answer in time: AE, and the message stays queued.
	rec.set(func(r *recorder) { r.delay = 300 * time.Millisecond })
	e2, _ := newEngine(t)
	rec2 := newRecorder()
	rec2.delay = 500 * time.Millisecond
	start(t, e2, ChannelConfig{Name: "c", AckMode: AckAfterDelivery, AckTimeout: 50 * time.Millisecond, Destinations: []DestinationConfig{{Name: "d", Dest: rec2}}})
	rep = receive(t, e2, "c", msg("AD2"))
	if ackCode(t, rep.Ack) != "AE" || !rep.Stored {
		t.Errorf("timeout ack %q", rep.Ack)
	}
	waitFor(t, "late delivery", func() bool { return len(rec2.delivered()) == 1 })
}

func TestStoreFailureIsNeverAcknowledgedPositively(t *testing.T) {
	e, st := newEngine(t)
	start(t, e, ChannelConfig{Name: "c"})
	_ = st.Close()
	r, _ := e.Receiver("c")
	rep, err := r.Receive(context.Background(), &connector.Inbound{Raw: msg("S1")})
	if !errors.Is(err, connector.ErrNotStored) || ackCode(t, rep.Ack) != "AR" || rep.Stored {
		t.Errorf("err %v ack %q", err, rep.Ack)
	}
}

func TestChannelStateAndReload(t *testing.T) {
	e, _ := newEngine(t)
	rec := newRecorder()
	start(t, e, ChannelConfig{Name: "a", Version: "1"}, ChannelConfig{Name: "b", Version: "1", Destinations: []DestinationConfig{{Name: "d", Dest: rec}}})
	if err := e.PauseChannel(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	receive(t, e, "b", msg("W1")) // a paused channel's destinations still deliver
	waitFor(t, "delivery while paused", func() bool { return len(rec.delivered()) == 1 })
	if err := e.ResumeChannel(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	changed, err := e.Reload(context.Background(), []ChannelConfig{{Name: "a", Version: "1"}, {Name: "b", Version: "2"}, {Name: "c", Version: "1"}})
	if err != nil || strings.Join(changed, ",") != "b,c" {
		t.Errorf("reload changed %v, %v", changed, err)
	}
	st := e.Status()
	if len(st) != 3 || st[0].Name != "a" || st[0].State != StateRunning {
		t.Errorf("status %+v", st)
	}
	changed, _ = e.Reload(context.Background(), []ChannelConfig{{Name: "a", Version: "1"}})
	if strings.Join(changed, ",") != "b,c" || len(e.Status()) != 1 {
		t.Errorf("removal: %v %+v", changed, e.Status())
	}
}

// batcher gathers held entries and flushes a group at 3 messages.
type batcher struct {
	recorder
	flushed [][]string
}

func (b *batcher) Group(time.Time) string { return "g1" }
func (b *batcher) Due(_ string, held int, now time.Time) (bool, time.Time) {
	return held >= 3, now.Add(20 * time.Millisecond)
}
func (b *batcher) Flush(_ context.Context, group string, msgs []*connector.Outbound) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.Meta.ControlID)
	}
	b.flushed = append(b.flushed, ids)
	return nil
}

func TestBatchDestination(t *testing.T) {
	e, _ := newEngine(t)
	b := &batcher{recorder: *newRecorder()}
	start(t, e, ChannelConfig{Name: "c", Destinations: []DestinationConfig{{Name: "file", Dest: b}}})
	for _, id := range []string{"B1", "B2"} {
		receive(t, e, "c", msg(id))
	}
	time.Sleep(100 * time.Millisecond)
	b.mu.Lock()
	n := len(b.flushed)
	b.mu.Unlock()
	if n != 0 {
		t.Fatal("flushed before the batch was due")
	}
	receive(t, e, "c", msg("B3"))
	waitFor(t, "the batch", func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.flushed) == 1 })
	if got := strings.Join(b.flushed[0], ","); got != "B1,B2,B3" {
		t.Errorf("batch %s", got)
	}
}

func TestRetryPolicyDelay(t *testing.T) {
	p := RetryPolicy{Initial: time.Second, Max: 10 * time.Second, Multiplier: 2, Jitter: 0.2}
	for attempt, base := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 50: 10 * time.Second} {
		for range 20 {
			d := p.Delay(attempt)
			if d < time.Duration(float64(base)*0.8) || d > time.Duration(float64(base)*1.2) {
				t.Errorf("attempt %d: %v not within 20%% of %v", attempt, d, base)
			}
		}
	}
	if (RetryPolicy{MaxAttempts: 3}).GiveUp(2) || !(RetryPolicy{MaxAttempts: 3}).GiveUp(3) || (RetryPolicy{}).GiveUp(1000) {
		t.Error("GiveUp")
	}
}
