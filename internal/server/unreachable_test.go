package server

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
	"github.com/courier-hl7/courier/mllp"
)

// TestUnreachableDestinationFailsAttempts: a destination whose receiver refuses connections
// fails each attempt within its connect_timeout with the refusal as the error, and the retry
// policy paces the next attempts; an attempt does not dial on for the whole attempt timeout
// and end as "no answer".
func TestUnreachableDestinationFailsAttempts(t *testing.T) {
	dir := t.TempDir()
	in, down := freeAddr(t), freeAddr(t)
	host, port, _ := net.SplitHostPort(down)
	cfg := fmt.Sprintf(`server:
  data_dir: %q
channels:
  - name: adt
    source:
      type: mllp
      listen: %q
    destinations:
      - name: ehr
        type: mllp
        host: %s
        port: %s
        connect_timeout: 300ms
        ack_timeout: 30s
        retry:
          initial: 100ms
          max: 100ms
`, filepath.Join(dir, "data"), in, host, port)
	e, ctx := startServe(t, dir, cfg)

	c := &mllp.Client{Addr: in}
	defer c.Close()
	sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
	resp, err := c.Send(sctx, []byte("MSH|^~\\&|A|B|C|D|20261127083000||ADT^A01^ADT_A01|U1|P|2.5\rPID|1||P1^^^H^MR||DOE^JO\r"))
	scancel()
	if err != nil || !resp.Accepted() {
		t.Fatalf("send: %v %s", err, resp.Code)
	}

	// Within 3 s: at least three attempts, each failed by the refusal.
	var m *store.Message
	deadline := time.Now().Add(3 * time.Second)
	for {
		var ms []*store.Message
		if ms, err = e.Store().Messages(ctx, store.Query{ControlID: "U1"}); err == nil && len(ms) == 1 {
			m, err = e.Store().Message(ctx, ms[0].ID)
		}
		if err == nil && m != nil && len(m.Attempts) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			n := 0
			if m != nil {
				n = len(m.Attempts)
			}
			t.Fatalf("%d attempts within 3 s (err %v), want at least 3: an attempt must end at connect_timeout", n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, a := range m.Attempts {
		if a.Outcome != "RETRY" || !strings.Contains(a.Error, "connection refused") {
			t.Errorf("attempt %d: %s %q, want RETRY with the refusal", a.Number, a.Outcome, a.Error)
		}
		if d := a.Finished.Sub(a.Started); d > 2*time.Second {
			t.Errorf("attempt %d took %v, want about the 300 ms connect_timeout", a.Number, d)
		}
	}
}
