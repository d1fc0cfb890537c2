package cli

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/connector"
	_ "github.com/courier-hl7/courier/internal/connector/all" // the connectors a configuration names
	"github.com/courier-hl7/courier/internal/engine"
	"github.com/courier-hl7/courier/internal/store"
	"github.com/courier-hl7/courier/internal/store/sqlite"
)

// refusing is a destination that always refuses, so that entries give up.
type refusing struct{}

func (refusing) Send(context.Context, *connector.Outbound) (connector.Response, error) {
	return connector.Response{OK: false, Code: "AE", Text: "unknown patient"}, nil
}
func (refusing) Close(context.Context) error { return nil }

// fillStore runs an engine whose destination refuses everything until each entry gives up.
func fillStore(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "courier.db")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db, sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(engine.Options{Store: st, NodeID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	retry := engine.RetryPolicy{Initial: time.Millisecond, Max: time.Millisecond, MaxAttempts: 1, MoveOn: true}
	if err := e.Add(engine.ChannelConfig{Name: "lab", Destinations: []engine.DestinationConfig{{Name: "ehr", Dest: refusing{}, Retry: retry}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	r, _ := e.Receiver("lab")
	for _, raw := range []string{twoMessages[:strings.Index(twoMessages[1:], "MSH")+1], "MSH" + strings.SplitN(twoMessages[1:], "MSH", 2)[1]} {
		if _, err := r.Receive(ctx, &connector.Inbound{Raw: []byte(raw), Remote: "127.0.0.1:5"}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		stats, _ := st.Stats(ctx)
		if len(stats) == 1 && stats[0].Errors == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("entries did not give up: %+v", stats)
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = e.Stop(ctx)
	_ = st.Close()
	return db
}

func TestMessagesCommands(t *testing.T) {
	db := fillStore(t)
	code, out, errOut := run(t, "", "messages", "--db", db, "list")
	if code != 0 || !strings.Contains(out, "ORU^R01") || !strings.Contains(out, "C1") || !strings.Contains(out, "ERROR") {
		t.Fatalf("list: %d %s %s", code, out, errOut)
	}
	code, out, _ = run(t, "", "messages", "--db", db, "list", "--patient", "456", "--json")
	if code != 0 || !strings.Contains(out, `"ControlID": "C2"`) || strings.Contains(out, `"ControlID": "C1"`) {
		t.Errorf("list --patient: %s", out)
	}
	code, out, _ = run(t, "", "messages", "--db", db, "show", "1")
	if code != 0 || !strings.Contains(out, "Deliveries:") || !strings.Contains(out, "unknown patient") || strings.Contains(out, "DOE^JANE") {
		t.Errorf("show: %s", out)
	}
	code, out, _ = run(t, "", "messages", "--db", db, "show", "--content", "1")
	if code != 0 || !strings.Contains(out, "DOE^JANE") || !strings.Contains(out, "Acknowledgement sent:") {
		t.Errorf("show --content: %s", out)
	}
	code, out, _ = run(t, "", "messages", "--db", db, "show", "1")
	if !strings.Contains(out, "viewed") || !strings.Contains(out, "cli") {
		t.Errorf("the view was not recorded: %s", out)
	}
	code, out, errOut = run(t, "", "messages", "--db", db, "queues")
	if code != 0 || !strings.Contains(out, "lab") || !strings.Contains(out, "ehr") {
		t.Errorf("queues: %d %s %s", code, out, errOut)
	}
	code, out, errOut = run(t, "", "messages", "--db", db, "retry", "1")
	if code != 0 || out != "entry 1 is due now (a running Courier sends it within 2 s)\n" {
		t.Errorf("retry: %d %q %s", code, out, errOut)
	}
	code, out, _ = run(t, "", "messages", "--db", db, "skip", "2")
	if code != 0 || out != "entry 2 skipped\n" {
		t.Errorf("skip: %d %q", code, out)
	}
	code, _, errOut = run(t, "", "messages", "--db", db, "skip", "2")
	if code != 1 || !strings.HasPrefix(errOut, "courier: skip entry 2: ") {
		t.Errorf("skip twice: %d %q", code, errOut)
	}
	code, out, errOut = run(t, "", "messages", "--db", db, "list", "--status", "filtered")
	if code != 0 || !strings.HasPrefix(out, "ID ") || strings.Count(out, "\n") != 1 {
		t.Errorf("list --status filtered: %d %q %q", code, out, errOut)
	}
	code, out, errOut = run(t, "", "messages", "--db", db, "list", "--status", "delivered")
	if code != 1 || out != "" || !strings.Contains(errOut, "--status delivered: use one of QUEUED, SENT, FILTERED, ERROR, RECEIVED") {
		t.Errorf("list --status delivered: %d %q %q", code, out, errOut)
	}
	code, _, errOut = run(t, "", "messages", "--db", db, "show", "99")
	if code != 1 || !strings.Contains(errOut, "no message 99") {
		t.Errorf("show 99: %d %q", code, errOut)
	}
	code, _, errOut = run(t, "", "messages", "--db", filepath.Join(t.TempDir(), "none.db"), "list")
	if code != 1 || !strings.Contains(errOut, "no store at") {
		t.Errorf("missing db: %d %q", code, errOut)
	}
}

func TestMessagesReprocess(t *testing.T) {
	db := fillStore(t)
	cfg := filepath.Join(filepath.Dir(db), "courier.yaml")
	yaml := "store:\n  path: " + db + "\nchannels:\n  - name: lab\n    destinations:\n      - name: ehr\n        type: channel\n        channel: archive\n  - name: archive\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	// Without --config, the embedded default has no channel "lab": the error says what to give.
	code, _, errOut := run(t, "", "messages", "--db", db, "reprocess", "1")
	if code != 1 || !strings.Contains(errOut, `channel "lab" is not in the embedded default configuration: give --config FILE`) {
		t.Errorf("reprocess without --config: %d %q", code, errOut)
	}
	code, out, errOut := run(t, "", "messages", "--config", cfg, "reprocess", "1")
	if code != 0 || !strings.HasPrefix(out, "message 1 reprocessed as message 3") {
		t.Fatalf("reprocess: %d %q %s", code, out, errOut)
	}
	code, out, _ = run(t, "", "messages", "--db", db, "show", "3")
	if code != 0 || !strings.Contains(out, "reprocessed from message 1") {
		t.Errorf("show 3: %s", out)
	}
}

// TestMessagesShowPruned: show --content on a message whose content retention removed says
// so, and records no view (no patient data was shown).
func TestMessagesShowPruned(t *testing.T) {
	db := filepath.Join(t.TempDir(), "courier.db")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db, sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	raw := "MSH|^~\\&|LIS|LAB|EHR|HOSP|20261127090000||ORU^R01|P1|P|2.5.1\rPID|1||123^^^HOSP^MR||DOE^JANE\r"
	if _, err := st.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{{Channel: "lab", Raw: []byte(raw), ReceivedAt: time.Now()}}}); err != nil {
		t.Fatal(err)
	}
	n, err := st.Prune(ctx, time.Now().Add(time.Hour), false, 10)
	st.Close()
	if err != nil || n == 0 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	code, out, errOut := run(t, "", "messages", "--db", db, "show", "--content", "1")
	if code != 0 || !strings.Contains(out, "Content: removed by retention") || strings.Contains(out, "DOE^JANE") {
		t.Errorf("show --content of a pruned message: %d %s %s", code, out, errOut)
	}
	if _, out, _ = run(t, "", "messages", "--db", db, "show", "1"); strings.Contains(out, "viewed") {
		t.Errorf("a view of pruned content was recorded: %s", out)
	}
}
