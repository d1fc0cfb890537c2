package engine

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the engine's Prometheus metrics. Labels carry channel and destination names
// only: never message IDs or content.
type Metrics struct {
	Received   *prometheus.CounterVec   // courier_messages_received_total{channel}
	Acks       *prometheus.CounterVec   // courier_acks_sent_total{channel,code}
	Duplicates *prometheus.CounterVec   // courier_duplicates_suppressed_total{channel}
	SameBody   *prometheus.CounterVec   // courier_same_content_resends_total{channel}
	Filtered   *prometheus.CounterVec   // courier_messages_filtered_total{channel}
	Rejected   *prometheus.CounterVec   // courier_messages_rejected_total{channel,reason}
	StoreFail  *prometheus.CounterVec   // courier_store_failures_total{channel}
	Sent       *prometheus.CounterVec   // courier_messages_sent_total{channel,destination}
	Failed     *prometheus.CounterVec   // courier_delivery_failures_total{channel,destination}
	GaveUp     *prometheus.CounterVec   // courier_deliveries_given_up_total{channel,destination}
	ReceiveDur *prometheus.HistogramVec // courier_receive_seconds{channel}: receive to acknowledgement
	SendDur    *prometheus.HistogramVec // courier_send_seconds{channel,destination}
	QueueDepth *prometheus.GaugeVec     // courier_queue_depth{channel,destination}
	QueueError *prometheus.GaugeVec     // courier_queue_errors{channel,destination}
	QueueAge   *prometheus.GaugeVec     // courier_queue_oldest_seconds{channel,destination}
	QueueBlock *prometheus.GaugeVec     // courier_queue_blocked{channel,destination}
}

// NewMetrics creates the metrics and registers them with reg (which may be nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	cd := []string{"channel", "destination"}
	lat := []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m := &Metrics{
		Received:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "courier_messages_received_total", Help: "Messages received, per channel."}, []string{"channel"}),
		Acks:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "courier_acks_sent_total", Help: "Acknowledgements sent to senders, per channel and code."}, []string{"channel", "code"}),
		Duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "courier_duplicates_suppressed_total", Help: "Resent messages recognised as duplicates and not delivered again."}, []string{"channel"}),
		SameBody:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "courier_same_content_resends_total", Help: "Messages with the content of a recent message under another control ID (flagged, delivered)."}, []string{"channel"}),
		Filtered:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "courier_messages_filtered_total", Help: "Messages stopped by a channel filter."}, []string{"channel"}),
		Rejected:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "courier_messages_rejected_total", Help: "Messages stored with an error (parse, validation, transform) and answered negatively."}, []string{"channel", "reason"}),
		StoreFail:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "courier_store_failures_total", Help: "Messages the store could not commit (not acknowledged positively)."}, []string{"channel"}),
		Sent:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: "courier_messages_sent_total", Help: "Messages delivered, per destination."}, cd),
		Failed:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "courier_delivery_failures_total", Help: "Failed delivery attempts, per destination."}, cd),
		GaveUp:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "courier_deliveries_given_up_total", Help: "Deliveries that gave up after their attempts."}, cd),
		ReceiveDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "courier_receive_seconds", Help: "Time from receiving a message to its acknowledgement.", Buckets: lat}, []string{"channel"}),
		SendDur:    prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "courier_send_seconds", Help: "Time of one delivery attempt.", Buckets: lat}, cd),
		QueueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "courier_queue_depth", Help: "Entries waiting for delivery, per destination."}, cd),
		QueueError: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "courier_queue_errors", Help: "Entries that gave up and wait for an operator, per destination."}, cd),
		QueueAge:   prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "courier_queue_oldest_seconds", Help: "Age of the oldest message not yet delivered (or given up), per destination; 0 when none waits."}, cd),
		QueueBlock: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "courier_queue_blocked", Help: "1 while a destination's queue is stopped by a failing message (given up and holding, or waiting to retry), else 0."}, cd),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.Received, m.Acks, m.Duplicates, m.SameBody, m.Filtered, m.Rejected, m.StoreFail, m.Sent, m.Failed, m.GaveUp, m.ReceiveDur, m.SendDur, m.QueueDepth, m.QueueError, m.QueueAge, m.QueueBlock} {
			reg.MustRegister(c)
		}
	}
	return m
}
