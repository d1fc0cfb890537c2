package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/courier-hl7/courier/mllp"
)

// Canary patient data: every test message carries this name and an MRN starting with
// mrnPrefix, and none of it may appear in Courier's log.
const (
	canaryFamily = "ZZCANARYFAMILY"
	canaryGiven  = "ZZCANARYGIVEN"
	mrnPrefix    = "ZZMRN"
)

// message returns an ADT^A01 with control ID ctrl for patient mrn. The header is the same
// for every message (MSH-3 RELSEND, MSH-4 RELFAC, fixed MSH-7); the visit number (PV1-19)
// is V and the control ID, so that two messages differ in content as well as in MSH-10 (a
// message that differs from another only by MSH-7 and MSH-10 is flagged as its resend).
func message(ctrl, mrn string) []byte {
	return []byte("MSH|^~\\&|RELSEND|RELFAC|COURIER|HOSP|20250101120000||ADT^A01^ADT_A01|" + ctrl + "|P|2.5\r" +
		"EVN|A01|20250101120000\r" +
		"PID|1||" + mrn + "^^^HOSP^MR||" + canaryFamily + "^" + canaryGiven + "||19700101|F\r" +
		"PV1|1|I|W1^101^1||||||||||||||||V" + ctrl + "\r")
}

// controlID names message seq of a sender: the prefix keeps the tests' IDs apart.
func controlID(prefix string, sender, seq int) string {
	return fmt.Sprintf("%s%02d-%06d", prefix, sender, seq)
}

// mrn spreads a sender's messages over keys patients, so that every patient gets messages
// from several senders.
func mrn(keys, sender, seq int) string {
	return fmt.Sprintf("%s%03d", mrnPrefix, (sender*7+seq)%keys)
}

// fieldsOf returns MSH-10 and PID-3.1 of a message, scanning the way a receiver would.
func fieldsOf(frame []byte) (ctrl, key string) {
	for _, seg := range bytes.Split(frame, []byte("\r")) {
		f := strings.Split(string(seg), "|")
		switch {
		case f[0] == "MSH" && len(f) > 9:
			ctrl = f[9]
		case f[0] == "PID" && len(f) > 3:
			key, _, _ = strings.Cut(f[3], "^")
		}
	}
	return ctrl, key
}

// segment returns the first segment of msg named name, or nil.
func segment(msg []byte, name string) []byte {
	for _, seg := range bytes.Split(msg, []byte("\r")) {
		if bytes.HasPrefix(seg, []byte(name+"|")) {
			return seg
		}
	}
	return nil
}

// sent is one message a sender sent, and what became of it.
type sent struct {
	Ctrl   string
	Sender int
	Seq    int
	Key    string
	Raw    []byte
	Acked  time.Time // when the AA arrived; zero if none did
	Ack    []byte    // the AA
	Sends  int       // times sent
	// NoAnswer counts sends without an answer (connection refused, reset, timed out) and
	// Negative those answered with anything but AA; each is followed by a resend with the
	// same control ID.
	NoAnswer int
	Negative int
}

// answer is one send and what came back.
type answer struct {
	Ctrl      string
	Sent, Got time.Time
	Code      string // MSA-1; "" when no answer came
	Err       error
}

// senders stream messages to Courier, each goroutine with its own mllp.Client and one
// message in flight. A sender moves to its next message only once the current one got an
// AA; until then it resends it with the same control ID, as an HL7 sender must.
type senders struct {
	t    testing.TB
	addr string
	senderOpts

	mu      sync.Mutex
	msgs    map[string]*sent
	answers []answer
	stopped bool

	stop chan struct{}
	done chan struct{} // closed when every sender has returned
	wg   sync.WaitGroup
}

// senderOpts size a group of senders.
type senderOpts struct {
	Prefix string        // control IDs start with it
	N      int           // senders
	Keys   int           // patients (MRNs) the messages are spread over
	Pause  time.Duration // wait between a sender's messages (0: at once)
	Limit  int           // messages per sender (0: until stopped, at most maxPerSender)
}

// startSenders starts the senders, streaming to addr.
func startSenders(t testing.TB, addr string, o senderOpts) *senders {
	if o.Limit <= 0 {
		o.Limit = maxPerSender
	}
	s := &senders{t: t, addr: addr, senderOpts: o,
		msgs: map[string]*sent{}, stop: make(chan struct{}), done: make(chan struct{})}
	for i := range o.N {
		s.wg.Add(1)
		go s.run(i)
	}
	go func() { s.wg.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	return s
}

// maxPerSender bounds the messages of one sender, whatever the test's duration, and
// maxTries the sends of one message (at least 20 ms apart: over half a minute).
const (
	maxPerSender = 1_000_000
	maxTries     = 2000
)

// finished waits up to d for every sender to have sent its Limit; it reports whether they
// did.
func (s *senders) finished(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.done:
		return true
	case <-t.C:
		return false
	}
}

func (s *senders) run(id int) {
	defer s.wg.Done()
	c := &mllp.Client{Addr: s.addr, ACKTimeout: 5 * time.Second, DialTimeout: time.Second,
		Backoff: mllp.Backoff{Min: 20 * time.Millisecond, Max: 250 * time.Millisecond}}
	defer c.Close()
	for seq := 1; seq <= s.Limit; seq++ {
		ctrl := controlID(s.Prefix, id, seq)
		m := &sent{Ctrl: ctrl, Sender: id, Seq: seq, Key: mrn(s.Keys, id, seq)}
		m.Raw = message(ctrl, m.Key)
		for tries := 1; !s.isStopped(); tries++ {
			if s.send(c, m) {
				break
			}
			if tries == maxTries {
				s.t.Errorf("sender %d: %s got no AA in %d tries; the sender stops", id, ctrl, tries)
				return
			}
			if !s.wait(20 * time.Millisecond) {
				return
			}
		}
		if s.isStopped() || !s.wait(s.Pause) {
			return
		}
	}
}

// sendExtra sends one message outside the streams, as sender number sender (use one above
// the streams'), and records it like theirs so that the checker expects it. It reports
// whether it got its AA.
func (s *senders) sendExtra(c *mllp.Client, ctrl, key string, raw []byte, sender, seq int) bool {
	return s.send(c, &sent{Ctrl: ctrl, Sender: sender, Seq: seq, Key: key, Raw: raw})
}

// send sends m once and records the outcome; it reports whether m got its AA.
func (s *senders) send(c *mllp.Client, m *sent) bool {
	s.mu.Lock()
	if m.Sends == 0 {
		s.msgs[m.Ctrl] = m
	}
	m.Sends++
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	start := time.Now()
	resp, err := c.Send(ctx, m.Raw)
	cancel()
	got := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	a := answer{Ctrl: m.Ctrl, Sent: start, Got: got, Code: resp.Code, Err: err}
	if err != nil {
		a.Code = ""
	}
	s.answers = append(s.answers, a)
	switch {
	case err != nil:
		m.NoAnswer++
		return false
	case resp.Code != mllp.CodeAA:
		m.Negative++
		return false
	}
	m.Acked, m.Ack = got, resp.Raw
	return true
}

func (s *senders) isStopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// wait sleeps for d unless the senders are stopped; it reports whether they are not.
func (s *senders) wait(d time.Duration) bool {
	if d <= 0 {
		return !s.isStopped()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.stop:
		return false
	case <-t.C:
		return true
	}
}

// Stop stops the senders after the message each has in flight (bounded by the ACK timeout).
func (s *senders) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	s.mu.Unlock()
	close(s.stop)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.t.Error("senders did not stop within 20s")
	}
}

// snapshot returns copies of every message sent so far.
func (s *senders) snapshot() map[string]sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]sent, len(s.msgs))
	for k, m := range s.msgs {
		out[k] = *m
	}
	return out
}

// ackedCount returns how many messages got their AA.
func (s *senders) ackedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.msgs {
		if !m.Acked.IsZero() {
			n++
		}
	}
	return n
}

// answersSince returns the answers whose send ended at or after t, in the order they came.
func (s *senders) answersSince(t time.Time) []answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []answer
	for _, a := range s.answers {
		if !a.Got.Before(t) {
			out = append(out, a)
		}
	}
	return out
}

// senderStats sums up what the senders saw.
type senderStats struct {
	Sent, Acked, Unacked int
	Sends                int // frames sent, resends included
	// Resent counts messages sent more than once (after no answer or a negative one).
	Resent, ResentNoAnswer int
}

func (s *senders) stats() senderStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st senderStats
	for _, m := range s.msgs {
		st.Sent++
		st.Sends += m.Sends
		if m.Acked.IsZero() {
			st.Unacked++
		} else {
			st.Acked++
		}
		if m.Sends > 1 {
			st.Resent++
			if m.NoAnswer > 0 {
				st.ResentNoAnswer++
			}
		}
	}
	return st
}

// reply is what a receiver answers to one message.
type reply int

const (
	replyAA   reply = iota // accept: the message is delivered
	replyAE                // application error: Courier must retry
	replyNone              // accept the bytes and never answer: Courier's ACK timeout
	replyAR                // application reject: Courier must retry too
)

// delivery is one message a receiver accepted (answered AA).
type delivery struct {
	Ctrl, Key string
	At        time.Time
}

// frameSeen is one message a receiver read, whatever it answered.
type frameSeen struct {
	At    time.Time
	Reply reply
}

// receiver is a destination system: an mllp.Server on 127.0.0.1 that records every message
// it accepts, in arrival order. It can go down (listener and connections closed: connections
// are refused) and come back on the same port.
type receiver struct {
	t       testing.TB
	name    string
	addr    string
	tcpPort int

	mu        sync.Mutex
	srv       *mllp.Server
	behave    func(ctrl string) reply // nil: AA to everything
	delivered []delivery
	count     map[string]int
	frames    map[string][]frameSeen
	gate      chan struct{} // while set, answers wait for it to close
	waiting   int           // handlers waiting at the gate
}

// newReceiver starts a receiver on a free port of 127.0.0.1.
func newReceiver(t testing.TB, name string) *receiver {
	t.Helper()
	r := &receiver{t: t, name: name, count: map[string]int{}, frames: map[string][]frameSeen{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr, r.tcpPort = l.Addr().String(), l.Addr().(*net.TCPAddr).Port
	r.serve(l)
	t.Cleanup(r.down)
	return r
}

// port returns the receiver's TCP port.
func (r *receiver) port() int {
	return r.tcpPort
}

func (r *receiver) serve(l net.Listener) {
	srv := &mllp.Server{Handler: mllp.HandlerFunc(r.handle)}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go srv.Serve(l)
}

// down closes the listener and every connection: Courier's connections fail and new ones
// are refused.
func (r *receiver) down() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// up listens again on the same port (bounded retry while the old socket lingers).
func (r *receiver) up() {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, err := net.Listen("tcp", r.addr)
		if err == nil {
			r.serve(l)
			return
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			r.t.Fatalf("receiver %s: listen again on %s: %v", r.name, r.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// setBehaviour changes what the receiver answers from the next message on.
func (r *receiver) setBehaviour(f func(ctrl string) reply) {
	r.mu.Lock()
	r.behave = f
	r.mu.Unlock()
}

// pause makes the receiver hold its answers (each for at most 10 s) until resume.
func (r *receiver) pause() {
	r.mu.Lock()
	if r.gate == nil {
		r.gate = make(chan struct{})
	}
	r.mu.Unlock()
}

// resume lets held answers go.
func (r *receiver) resume() {
	r.mu.Lock()
	if r.gate != nil {
		close(r.gate)
		r.gate = nil
	}
	r.mu.Unlock()
}

// holding reports how many messages wait for their answer at the gate.
func (r *receiver) holding() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.waiting
}

func (r *receiver) handle(_ context.Context, req *mllp.Request) ([]byte, error) {
	ctrl, key := fieldsOf(req.Frame)
	r.mu.Lock()
	if gate := r.gate; gate != nil {
		r.waiting++
		r.mu.Unlock()
		t := time.NewTimer(10 * time.Second)
		select {
		case <-gate:
		case <-t.C:
		}
		t.Stop()
		r.mu.Lock()
		r.waiting--
	}
	now := time.Now()
	rep := replyAA
	if r.behave != nil {
		rep = r.behave(ctrl)
	}
	r.frames[ctrl] = append(r.frames[ctrl], frameSeen{At: now, Reply: rep})
	if rep == replyAA {
		r.delivered = append(r.delivered, delivery{Ctrl: ctrl, Key: key, At: now})
		r.count[ctrl]++
	}
	r.mu.Unlock()
	switch rep {
	case replyAE:
		return ackFor(ctrl, "AE"), nil
	case replyAR:
		return ackFor(ctrl, "AR"), nil
	case replyNone:
		return nil, nil
	}
	return ackFor(ctrl, "AA"), nil
}

// ackFor builds the receiver's acknowledgement of ctrl.
func ackFor(ctrl, code string) []byte {
	text := ""
	if code != "AA" {
		text = "|refused by the test receiver"
	}
	return []byte("MSH|^~\\&|RCV|RCVFAC|RELSEND|RELFAC|20250101120000||ACK^A01^ACK|R" + ctrl + "|P|2.5\r" +
		"MSA|" + code + "|" + ctrl + text + "\r")
}

// deliveries returns a copy of what the receiver accepted, in arrival order.
func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.delivered...)
}

// has reports whether ctrl was accepted at least once.
func (r *receiver) has(ctrl string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count[ctrl] > 0
}

// framesOf returns every time ctrl arrived, whatever the answer.
func (r *receiver) framesOf(ctrl string) []frameSeen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]frameSeen(nil), r.frames[ctrl]...)
}

// firstAccepted returns when the first message was accepted after t, or the zero time.
func (r *receiver) firstAccepted(after time.Time) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := sort.Search(len(r.delivered), func(i int) bool { return r.delivered[i].At.After(after) })
	if i == len(r.delivered) {
		return time.Time{}
	}
	return r.delivered[i].At
}
