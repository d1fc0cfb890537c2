package mllp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
	mllppkg "github.com/courier-hl7/courier/mllp"
)

const (
	fieldHost           = "host"
	fieldPort           = "port"
	fieldACKTimeout     = "ack_timeout"
	fieldConnectTimeout = "connect_timeout"
	fieldAccept         = "accept"
	fieldConnections    = "connections"
)

// DestinationSpec describes the MLLP destination.
func DestinationSpec() config.Spec {
	return config.Spec{
		Name:    "mllp",
		Summary: "Sends each message over MLLP (TCP, optionally TLS) and waits for its acknowledgement.",
		Description: "Keeps a connection open to the receiving system, reconnecting with exponential backoff and " +
			"jitter when it drops. Each message waits for its acknowledgement; MSA-2 must match the MSH-10 sent, " +
			"or the answer is refused as stale and the connection reset. The answer decides the delivery: codes " +
			"listed in `accept` (AA and CA by default) deliver the message, anything else (AE, AR, no answer " +
			"within ack_timeout) is a failed attempt retried per the destination's `retry` policy. The " +
			"acknowledgement received is stored with the attempt. Receivers that close the connection after " +
			"every acknowledgement are fine: a message that meets such a close before any answer is sent again " +
			"at once on a new connection, not after `retry.initial`.",
		Fields: []config.Field{
			{Name: fieldHost, Type: config.String, Required: true, Description: "Host name or address of the receiving system.", Example: "ehr.hospital.example"},
			{Name: fieldPort, Type: config.Int, Required: true, Min: config.Bound(1), Max: config.Bound(65535), Description: "TCP port of its MLLP listener.", Example: 6661},
			clientTLSField(),
			{Name: fieldACKTimeout, Type: config.Duration, Default: "30s", Description: "Longest wait for the acknowledgement of a message."},
			{Name: fieldConnectTimeout, Type: config.Duration, Default: "10s", Description: "Longest time a delivery attempt spends connecting, TLS handshake included: a refused or failed connection is tried again within it (50–500 ms apart), then the attempt fails with the connection's error and is retried per `retry`."},
			{Name: fieldAccept, Type: config.List, Elem: &config.Field{Type: config.String, Enum: []string{"AA", "AE", "AR", "CA", "CE", "CR"}}, Default: []any{"AA", "CA"}, Description: "Acknowledgement codes that count as delivered. Add AE for a receiver whose AE means \"seen, will not process\" and must not be resent."},
			{Name: fieldConnections, Type: config.Int, Default: 1, Min: config.Bound(1), Max: config.Bound(64), Advanced: true, Description: "Connections kept open; more than one only helps a destination with order_by, whose keys are sent in parallel."},
			{Name: fieldCommitAcks, Type: config.Bool, Default: false, Description: "MLLP Release 2: wait for the receiver's commit block (0x06) before its acknowledgement; a 0x15 block fails the attempt."},
			{Name: fieldMaxSize, Type: config.Size, Default: "16MiB", Description: "Largest acknowledgement accepted."},
		},
		Examples: []string{
			"type: mllp\nhost: ehr.hospital.example\nport: 6661\n",
			"type: mllp\nhost: lis.lab.example\nport: 2576\ntls:\n  ca: [tls/lab-ca.pem]\n  cert: tls/courier.crt\n  key: tls/courier.key\nack_timeout: 10s\n",
		},
	}
}

// NewDestination builds an MLLP destination from its configuration.
func NewDestination(n *config.Node, deps connector.Deps) (connector.Destination, error) {
	tlsCfg, err := clientTLS(n, deps.BaseDir)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(n.String(fieldHost), strconv.Itoa(n.Int(fieldPort)))
	c := &mllppkg.Client{
		Addr:        addr,
		TLSConfig:   tlsCfg,
		ACKTimeout:  n.Duration(fieldACKTimeout),
		DialTimeout: n.Duration(fieldConnectTimeout),
		// An attempt that cannot connect within connect_timeout fails with the connection's
		// error (refused, unreachable), and the retry policy takes over, instead of dialling
		// on until the engine's attempt timeout and reporting no answer.
		ConnectTimeout: n.Duration(fieldConnectTimeout),
		PoolSize:       n.Int(fieldConnections),
		CommitAcks:     n.Bool(fieldCommitAcks),
		MaxFrameSize:   int(n.Size(fieldMaxSize)),
		Logger:         deps.Logger,
		// The destination's retry policy paces attempts; the client's own reconnect backoff
		// only spaces dials within one attempt, so it stays short: a long client backoff would
		// make attempts end without dialling, and recovery wait for it instead of retry.max.
		Backoff: mllppkg.Backoff{Min: 50 * time.Millisecond, Max: 500 * time.Millisecond, Multiplier: 2, Jitter: 0.2},
		// A receiver that closes the connection after every ACK now and then gets a message
		// on a connection whose close has not arrived yet. The engine would send it again
		// after retry.initial, holding the queue; the client sends it again at once instead
		// (delivery is at least once either way).
		RetryClosed: true,
	}
	if err := c.Validate(); err != nil {
		return nil, n.Errorf(fieldHost, "%v", err)
	}
	return &destination{client: c, accept: n.Strings(fieldAccept), addr: addr}, nil
}

type destination struct {
	client *mllppkg.Client
	accept []string
	addr   string
}

var _ connector.Destination = (*destination)(nil)

// Send implements connector.Destination.
func (d *destination) Send(ctx context.Context, out *connector.Outbound) (connector.Response, error) {
	resp, err := d.client.Send(ctx, out.Content)
	if errors.Is(err, mllppkg.ErrConnectTimeout) {
		return connector.Response{}, fmt.Errorf("%w: %w", connector.ErrUnreachable, err)
	}
	if err != nil {
		return connector.Response{Raw: resp.Raw, Code: resp.Code}, err
	}
	r := connector.Response{Raw: resp.Raw, Code: resp.Code, OK: slices.Contains(d.accept, resp.Code)}
	if !r.OK {
		r.Text = ackText(resp)
		if resp.Code == "" {
			r.Text = "the answer has no MSA segment with an acknowledgement code"
		}
	}
	return r, nil
}

// ackText explains a negative acknowledgement: MSA-3, or the first ERR's user message or code.
func ackText(resp mllppkg.Response) string {
	a, err := hl7.Parse(resp.Raw)
	if err != nil {
		return resp.Text
	}
	var parts []string
	if t := a.Get("MSA-3"); t != "" {
		parts = append(parts, t)
	}
	if t := a.Get("ERR-8"); t != "" {
		if len(parts) == 0 || parts[0] != t { // many receivers put the same text in both
			parts = append(parts, t)
		}
	} else if c := a.Get("ERR-3.2"); c != "" {
		parts = append(parts, c)
	} else if c := a.Get("ERR-1.4.2"); c != "" {
		parts = append(parts, c)
	}
	return strings.Join(parts, "; ")
}

// Close implements connector.Destination.
func (d *destination) Close(context.Context) error { return d.client.Close() }

// String describes the destination.
func (d *destination) String() string {
	if d.client.TLSConfig != nil {
		return fmt.Sprintf("MLLP over TLS to %s", d.addr)
	}
	return "MLLP to " + d.addr
}
