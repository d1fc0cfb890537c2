package mllp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
	mllppkg "github.com/courier-hl7/courier/mllp"
)

const (
	fieldListen        = "listen"
	fieldMaxSize       = "max_message_size"
	fieldReadTimeout   = "read_timeout"
	fieldIdleTimeout   = "idle_timeout"
	fieldWriteTimeout  = "write_timeout"
	fieldMaxConns      = "max_connections"
	fieldMaxConnsPerIP = "max_connections_per_ip"
	fieldInFlight      = "max_in_flight"
	fieldCommitAcks    = "commit_acks"
	fieldLenient       = "lenient_framing"
)

// SourceSpec describes the MLLP source.
func SourceSpec() config.Spec {
	return config.Spec{
		Name:    "mllp",
		Summary: "Receives HL7 v2 messages over MLLP (TCP, optionally TLS) and answers each with its acknowledgement.",
		Description: "Listens for MLLP connections. Each message is stored (per the channel's `ack` mode) and answered " +
			"on the same connection, in order. Every resource is bounded: message size (refused with AR and the " +
			"connection closed, without reading past the limit), per-frame read time (slow senders are cut off), " +
			"idle time, connections in total and per address. Bytes before a start block (log banners, NULs) are " +
			"discarded and counted. With `tls`, the listener speaks MLLP over TLS 1.2+ only, optionally requiring " +
			"client certificates; certificates are reloaded when their files change.",
		Fields: []config.Field{
			{Name: fieldListen, Type: config.String, Default: ":2575", Description: "Address to listen on: `:2575` (all interfaces), `127.0.0.1:2575`.", Example: "0.0.0.0:6661"},
			serverTLSField(),
			{Name: fieldMaxSize, Type: config.Size, Default: "16MiB", Description: "Largest message accepted. A larger one is answered AR and its connection closed."},
			{Name: fieldReadTimeout, Type: config.Duration, Default: "30s", Description: "Longest time from the first byte of a message to its last (and for the TLS handshake)."},
			{Name: fieldIdleTimeout, Type: config.Duration, Default: "10m", Description: "Close a connection when no message starts for this long."},
			{Name: fieldWriteTimeout, Type: config.Duration, Default: "30s", Description: "Longest time to write an acknowledgement."},
			{Name: fieldMaxConns, Type: config.Int, Default: 1000, Min: config.Bound(1), Description: "Most connections open at once; more are closed at once."},
			{Name: fieldMaxConnsPerIP, Type: config.Int, Default: 100, Min: config.Bound(1), Description: "Most connections open at once from one address."},
			{Name: fieldInFlight, Type: config.Int, Default: 1, Min: config.Bound(1), Max: config.Bound(256), Advanced: true, Description: "Messages of one connection handled at the same time. 1 keeps strict order per connection; more lets a pipelining sender go faster (answers still go back in order)."},
			{Name: fieldCommitAcks, Type: config.Bool, Default: false, Description: "MLLP Release 2: send a commit acknowledgement block (0x06) once the message is stored, or 0x15 when it is not, before the HL7 acknowledgement."},
			{Name: fieldLenient, Type: config.Bool, Default: false, Advanced: true, Description: "Accept an end block 0x1C without 0x0D, and resynchronise on a start block inside a message, instead of closing the connection."},
		},
		Examples: []string{
			"type: mllp\nlisten: \":2575\"\n",
			"type: mllp\nlisten: \":6661\"\ntls:\n  cert: tls/mllp.crt\n  key: tls/mllp.key\n  client_auth: require\n  ca: [tls/partners-ca.pem]\n  allowed_peers:\n    dns_names: [\"*.lab.hospital.example\"]\n",
		},
	}
}

func init() {
	connector.MustRegisterSource(SourceSpec(), NewSource)
	connector.MustRegisterDestination(DestinationSpec(), NewDestination)
}

// NewSource builds an MLLP source from its configuration.
func NewSource(n *config.Node, deps connector.Deps) (connector.Source, error) {
	tlsCfg, err := serverTLS(n, deps.BaseDir)
	if err != nil {
		return nil, err
	}
	s := &source{
		addr: n.String(fieldListen), tls: tlsCfg, log: deps.Logger,
		proto: mllppkg.Server{
			MaxFrameSize:  int(n.Size(fieldMaxSize)),
			ReadTimeout:   n.Duration(fieldReadTimeout),
			IdleTimeout:   n.Duration(fieldIdleTimeout),
			WriteTimeout:  n.Duration(fieldWriteTimeout),
			MaxConns:      n.Int(fieldMaxConns),
			MaxConnsPerIP: n.Int(fieldMaxConnsPerIP),
			MaxInFlight:   n.Int(fieldInFlight),
			CommitAcks:    n.Bool(fieldCommitAcks),
			Lenient:       n.Bool(fieldLenient),
		},
	}
	if _, _, err := net.SplitHostPort(s.addr); err != nil {
		return nil, n.Errorf(fieldListen, "%q is not host:port (write :2575 or 127.0.0.1:2575)", s.addr)
	}
	return s, nil
}

// source is a running (or stopped) MLLP listener. Each Start builds a new server, so a paused
// channel can resume.
type source struct {
	addr  string
	tls   *tls.Config
	log   *slog.Logger
	proto mllppkg.Server // settings copied into each new server

	mu    sync.Mutex
	srv   *mllppkg.Server
	bound net.Addr
	done  chan struct{}
}

var _ connector.Source = (*source)(nil)

// Start binds the listener and serves in the background.
func (s *source) Start(_ context.Context, r connector.Receiver) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return nil
	}
	srv := &mllppkg.Server{
		Addr: s.addr, TLSConfig: s.tls, Logger: s.log,
		MaxFrameSize: s.proto.MaxFrameSize, ReadTimeout: s.proto.ReadTimeout, IdleTimeout: s.proto.IdleTimeout,
		WriteTimeout: s.proto.WriteTimeout, MaxConns: s.proto.MaxConns, MaxConnsPerIP: s.proto.MaxConnsPerIP,
		MaxInFlight: s.proto.MaxInFlight, CommitAcks: s.proto.CommitAcks, Lenient: s.proto.Lenient,
	}
	srv.Handler = mllppkg.HandlerFunc(func(ctx context.Context, req *mllppkg.Request) ([]byte, error) {
		rep, err := r.Receive(ctx, &connector.Inbound{Raw: req.Frame, Remote: req.Conn.RemoteAddr.String(), ReceivedAt: req.Received})
		if err != nil && srv.CommitAcks {
			// Release 2: a negative commit block tells the sender the message is not stored.
			return nil, err
		}
		return rep.Ack, nil
	})
	srv.Reject = func(_ context.Context, req *mllppkg.Request, err error) []byte {
		a := hl7.RejectRaw(req.Frame, hl7.AckOptions{Code: hl7.AckAR, Text: "message too large",
			Errors: []hl7.AckError{{Code: hl7.ErrCodeInternal, Text: fmt.Sprintf("the message is larger than this listener accepts (%d bytes)", srv.MaxFrameSize)}}})
		return a.Bytes()
	}
	if err := srv.Validate(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("mllp listener %s: %w", s.addr, err)
	}
	s.srv, s.bound, s.done = srv, ln.Addr(), make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, mllppkg.ErrServerClosed) {
			s.log.Error("mllp listener stopped", "addr", ln.Addr().String(), "err", err)
		}
	}(s.done)
	return nil
}

// Stop stops accepting, lets messages in flight be stored and answered, and closes.
func (s *source) Stop(ctx context.Context) error {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	<-done
	return err
}

// Addr returns the address the listener is bound to, or nil when stopped.
func (s *source) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return nil
	}
	return s.bound
}

// String describes the source for the start-up summary.
func (s *source) String() string {
	addr := s.addr
	if a := s.Addr(); a != nil {
		addr = a.String()
	}
	if s.tls != nil {
		return "MLLP over TLS on " + addr
	}
	return "MLLP on " + addr
}
