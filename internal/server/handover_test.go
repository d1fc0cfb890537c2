package server

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
	"github.com/courier-hl7/courier/mllp"
)

// TestHandOverToImmediateChannel: a channel destination hands messages to a channel whose
// ACK mode is immediate. Each message must be stored there once and the hand-over count as
// delivered at the first attempt; an immediate answer ("not stored yet") taken for a failure
// would hand the message over again at every retry.
func TestHandOverToImmediateChannel(t *testing.T) {
	const n = 5
	dir := t.TempDir()
	in := freeAddr(t)
	cfg := fmt.Sprintf(`server:
  data_dir: %q
channels:
  - name: a
    source:
      type: mllp
      listen: %q
    destinations:
      - name: to-b
        type: channel
        channel: b
        retry:
          initial: 50ms
          max: 50ms
  - name: b
    ack: immediate
`, filepath.Join(dir, "data"), in)
	e, ctx := startServe(t, dir, cfg)

	c := &mllp.Client{Addr: in}
	defer c.Close()
	for i := range n {
		sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
		resp, err := c.Send(sctx, fmt.Appendf(nil, "MSH|^~\\&|A|B|C|D|20261127083000||ADT^A01^ADT_A01|H%d|P|2.5\rPID|1||P%d^^^H^MR||DOE^JO\r", i, i))
		scancel()
		if err != nil || !resp.Accepted() {
			t.Fatalf("send %d: %v %s", i, err, resp.Code)
		}
	}
	// Every hand-over done, then a few retry intervals more for a repeat to show.
	st := e.Store()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ms, err := st.Messages(ctx, store.Query{Channel: "a", Status: store.StatusSent})
		if err == nil && len(ms) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages of channel a delivered within 10 s (err %v)", len(ms), n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	ms, err := st.Messages(ctx, store.Query{Channel: "b", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != n {
		t.Errorf("channel b stored %d messages, want %d: a hand-over was repeated", len(ms), n)
	}
	as, err := st.Messages(ctx, store.Query{Channel: "a"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range as {
		full, err := st.Message(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(full.Attempts) != 1 || full.Attempts[0].Outcome != "SENT" {
			t.Errorf("message %d: %d attempts, want one, SENT", m.ID, len(full.Attempts))
		}
	}
}
