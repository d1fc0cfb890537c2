package engine

import (
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsDocumented: docs/metrics.md names every metric the engine registers, so that an
// operator's reference does not fall behind the code.
func TestMetricsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	// A vector shows in Gather only once it has a child.
	m.Received.WithLabelValues("c")
	m.Acks.WithLabelValues("c", "AA")
	m.Duplicates.WithLabelValues("c")
	m.SameBody.WithLabelValues("c")
	m.Filtered.WithLabelValues("c")
	m.Rejected.WithLabelValues("c", "parse")
	m.StoreFail.WithLabelValues("c")
	m.Sent.WithLabelValues("c", "d")
	m.Failed.WithLabelValues("c", "d")
	m.GaveUp.WithLabelValues("c", "d")
	m.ReceiveDur.WithLabelValues("c")
	m.SendDur.WithLabelValues("c", "d")
	m.QueueDepth.WithLabelValues("c", "d")
	m.QueueError.WithLabelValues("c", "d")
	m.QueueAge.WithLabelValues("c", "d")
	m.QueueBlock.WithLabelValues("c", "d")
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) < 16 {
		t.Fatalf("%d metric families gathered, want every one of the 16", len(families))
	}
	for _, f := range families {
		if !strings.Contains(string(doc), "`"+f.GetName()+"`") {
			t.Errorf("docs/metrics.md does not list %s", f.GetName())
		}
	}
}
