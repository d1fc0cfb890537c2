package mllp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testCA issues certificates for tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

var serial atomic.Int64

func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// leafSpec describes a certificate to issue.
type leafSpec struct {
	cn      string
	dns     []string
	ips     []net.IP
	uris    []string
	expired bool
}

func (ca *testCA) issue(t testing.TB, spec leafSpec) (tls.Certificate, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: spec.cn},
		DNSNames:     spec.dns,
		IPAddresses:  spec.ips,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, u := range spec.uris {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, pu)
	}
	if spec.expired {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cert, certPEM, keyPEM
}

func localhostSpec() leafSpec {
	return leafSpec{cn: "courier test server", dns: []string{"localhost"}, ips: []net.IP{net.IPv4(127, 0, 0, 1)}}
}

func TestTLS(t *testing.T) {
	ca := newTestCA(t, "Test Hospital CA")
	otherCA := newTestCA(t, "Unknown CA")
	good, _, _ := ca.issue(t, localhostSpec())
	expired := localhostSpec()
	expired.expired = true
	expiredServer, _, _ := ca.issue(t, expired)
	strangerServer, _, _ := otherCA.issue(t, localhostSpec())
	wrongName, _, _ := ca.issue(t, leafSpec{cn: "other", dns: []string{"other.example"}})
	lab, _, _ := ca.issue(t, leafSpec{cn: "lab-sender", uris: []string{"spiffe://hospital.example/lab"}})
	labExpired, _, _ := ca.issue(t, leafSpec{cn: "lab-sender", expired: true})
	labStranger, _, _ := otherCA.issue(t, leafSpec{cn: "lab-sender"})
	pharmacy, _, _ := ca.issue(t, leafSpec{cn: "pharmacy", dns: []string{"rx.hospital.example"}})

	tests := []struct {
		Name       string
		ServerCert tls.Certificate
		ClientAuth ClientAuth
		Peers      PeerPolicy
		ClientCert *tls.Certificate
		ClientCfg  *tls.Config // instead of ClientTLS
		Peer       string      // CN the handler sees, "" for none
		Fails      bool
		ClientErr  any // pointer to the error type errors.As must find, or nil
	}{
		{Name: "good", ServerCert: good},
		{Name: "expired server certificate", ServerCert: expiredServer, Fails: true, ClientErr: new(x509.CertificateInvalidError)},
		{Name: "server certificate from an unknown CA", ServerCert: strangerServer, Fails: true, ClientErr: new(x509.UnknownAuthorityError)},
		{Name: "server certificate for another name", ServerCert: wrongName, Fails: true, ClientErr: new(x509.HostnameError)},
		{Name: "client certificate required and given", ServerCert: good, ClientAuth: RequireClientCert, ClientCert: &lab, Peer: "lab-sender"},
		{Name: "client certificate required and missing", ServerCert: good, ClientAuth: RequireClientCert, Fails: true},
		{Name: "client certificate from an unknown CA", ServerCert: good, ClientAuth: RequireClientCert, ClientCert: &labStranger, Fails: true},
		{Name: "expired client certificate", ServerCert: good, ClientAuth: RequireClientCert, ClientCert: &labExpired, Fails: true},
		{Name: "client allowed by common name", ServerCert: good, ClientAuth: RequireClientCert, ClientCert: &lab,
			Peers: PeerPolicy{CommonNames: []string{"lab-sender"}}, Peer: "lab-sender"},
		{Name: "client allowed by URI SAN", ServerCert: good, ClientAuth: RequireClientCert, ClientCert: &lab,
			Peers: PeerPolicy{URIs: []string{"spiffe://hospital.example/lab"}}, Peer: "lab-sender"},
		{Name: "client allowed by DNS SAN wildcard", ServerCert: good, ClientAuth: RequireClientCert, ClientCert: &pharmacy,
			Peers: PeerPolicy{DNSNames: []string{"*.hospital.example"}}, Peer: "pharmacy"},
		{Name: "client not in the peer policy", ServerCert: good, ClientAuth: RequireClientCert, ClientCert: &pharmacy,
			Peers: PeerPolicy{CommonNames: []string{"lab-sender"}, URIs: []string{"spiffe://hospital.example/lab"}}, Fails: true},
		{Name: "optional client certificate not given", ServerCert: good, ClientAuth: OptionalClientCert,
			Peers: PeerPolicy{CommonNames: []string{"lab-sender"}}},
		{Name: "optional client certificate given", ServerCert: good, ClientAuth: OptionalClientCert, ClientCert: &lab, Peer: "lab-sender"},
		{Name: "TLS 1.1 refused", ServerCert: good, ClientCfg: &tls.Config{RootCAs: ca.pool, MaxVersion: tls.VersionTLS11}, Fails: true},
		{Name: "TLS 1.2 with a secure suite", ServerCert: good,
			ClientCfg: &tls.Config{RootCAs: ca.pool, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}},
		{Name: "TLS 1.2 with CBC suites only refused", ServerCert: good,
			ClientCfg: &tls.Config{RootCAs: ca.pool, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}, Fails: true},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			serverCfg, err := ServerTLS(ServerTLSOptions{Certificate: &tt.ServerCert, ClientAuth: tt.ClientAuth, ClientCAs: ca.pool, Peers: tt.Peers})
			if err != nil {
				t.Fatal(err)
			}
			var peer atomic.Pointer[string]
			var tlsState atomic.Pointer[tls.ConnectionState]
			cnt := newCounters()
			s := &Server{TLSConfig: serverCfg, Hooks: cnt.hooks(), Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
				cn := ""
				if pc := req.Conn.TLS.PeerCertificates; len(pc) > 0 {
					cn = pc[0].Subject.CommonName
				}
				peer.Store(&cn)
				tlsState.Store(req.Conn.TLS)
				return cannedACK(req.Frame, CodeAA), nil
			})}
			addr := serve(t, s)
			clientCfg := tt.ClientCfg
			if clientCfg == nil {
				clientCfg, err = ClientTLS(ClientTLSOptions{RootCAs: ca.pool, Certificate: tt.ClientCert})
				if err != nil {
					t.Fatal(err)
				}
			}
			c := &Client{Addr: addr, TLSConfig: clientCfg}
			defer c.Close()
			start := time.Now()
			resp, err := c.Send(ctxTimeout(t, 10*time.Second), testMessage("T1"))
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Send took %v: a refused handshake must not be retried until the deadline", d)
			}
			if tt.Fails {
				if err == nil {
					t.Fatalf("Send succeeded: %+v", resp)
				}
				t.Logf("Send: %v", err)
				if tt.ClientErr != nil && !errors.As(err, tt.ClientErr) {
					t.Errorf("Send: %v; want a %T in the chain", err, tt.ClientErr)
				}
				eventually(t, "handshake failure counted", func() bool { return cnt.err(KindTLSHandshake) >= 1 })
				if cnt.opened.Load() != 0 {
					t.Errorf("a refused peer opened a connection")
				}
				return
			}
			if err != nil || resp.ControlID != "T1" {
				t.Fatalf("Send: %+v, %v", resp, err)
			}
			if got := *peer.Load(); got != tt.Peer {
				t.Errorf("handler saw peer %q, want %q", got, tt.Peer)
			}
			st := tlsState.Load()
			if st.Version < tls.VersionTLS12 || st.Version == tls.VersionTLS12 && !slices.Contains(secureCipherSuites, st.CipherSuite) {
				t.Errorf("negotiated %s with %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
			}
		})
	}
}

func TestTLSPlaintextToTLSPort(t *testing.T) {
	ca := newTestCA(t, "Test Hospital CA")
	cert, _, _ := ca.issue(t, localhostSpec())
	cfg, err := ServerTLS(ServerTLSOptions{Certificate: &cert})
	if err != nil {
		t.Fatal(err)
	}
	cnt := newCounters()
	var calls atomic.Int32
	s := &Server{TLSConfig: cfg, Hooks: cnt.hooks(), Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
		calls.Add(1)
		return cannedACK(req.Frame, CodeAA), nil
	})}
	c := dialRaw(t, serve(t, s))
	c.write(frameOf(string(testMessage("P1"))))
	c.closed()
	eventually(t, "handshake failure counted", func() bool { return cnt.err(KindTLSHandshake) == 1 })
	if calls.Load() != 0 {
		t.Error("a plaintext message reached the handler")
	}
}

// writePair writes a certificate and key as PEM files, with a modification time set
// explicitly so that a change is seen whatever the file system's time resolution.
func writePair(t *testing.T, dir string, certPEM, keyPEM []byte, mod time.Time) (string, string) {
	t.Helper()
	certFile, keyFile := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	for f, data := range map[string][]byte{certFile: certPEM, keyFile: keyPEM} {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// servedSerial connects to addr and returns the serial number of the certificate served.
func servedSerial(t *testing.T, addr string, pool *x509.CertPool) int64 {
	t.Helper()
	d := &tls.Dialer{Config: &tls.Config{RootCAs: pool}}
	c, err := d.DialContext(ctxTimeout(t, 5*time.Second), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

func TestCertReloader(t *testing.T) {
	ca := newTestCA(t, "Test Hospital CA")
	first, firstCert, firstKey := ca.issue(t, localhostSpec())
	second, secondCert, secondKey := ca.issue(t, localhostSpec())
	third, thirdCert, thirdKey := ca.issue(t, localhostSpec())
	dir := t.TempDir()
	t0 := time.Now().Add(-time.Hour)
	certFile, keyFile := writePair(t, dir, firstCert, firstKey, t0)

	r, err := NewCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	r.CheckInterval = 10 * time.Millisecond
	cfg, err := ServerTLS(ServerTLSOptions{Reloader: r})
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, &Server{TLSConfig: cfg, Handler: ackHandler})
	serialOf := func(c tls.Certificate) int64 { return c.Leaf.SerialNumber.Int64() }
	if got := servedSerial(t, addr, ca.pool); got != serialOf(first) {
		t.Fatalf("serves serial %d, want %d", got, serialOf(first))
	}

	// Renewed on disk: seen at a handshake after the check interval, without a restart.
	writePair(t, dir, secondCert, secondKey, t0.Add(time.Minute))
	time.Sleep(20 * time.Millisecond)
	if got := servedSerial(t, addr, ca.pool); got != serialOf(second) {
		t.Fatalf("after renewal serves serial %d, want %d", got, serialOf(second))
	}

	// A broken file keeps the certificate in use and reports the error.
	writePair(t, dir, thirdCert, firstKey, t0.Add(2*time.Minute)) // key does not match
	time.Sleep(20 * time.Millisecond)
	if got := servedSerial(t, addr, ca.pool); got != serialOf(second) {
		t.Fatalf("after a bad renewal serves serial %d, want %d", got, serialOf(second))
	}
	if r.Err() == nil {
		t.Error("Err() = nil after a failed reload")
	}

	// Explicit reload, with automatic checks off.
	r.CheckInterval = -1
	writePair(t, dir, thirdCert, thirdKey, t0.Add(3*time.Minute))
	time.Sleep(20 * time.Millisecond)
	if got := servedSerial(t, addr, ca.pool); got != serialOf(second) {
		t.Fatalf("serves serial %d with checks off, want %d until Reload", got, serialOf(second))
	}
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := servedSerial(t, addr, ca.pool); got != serialOf(third) {
		t.Fatalf("after Reload serves serial %d, want %d", got, serialOf(third))
	}
	if r.Err() != nil || serialOf(*r.Certificate()) != serialOf(third) {
		t.Errorf("Err() = %v, Certificate() serial %d", r.Err(), serialOf(*r.Certificate()))
	}
}

func TestCertReloaderClientSide(t *testing.T) {
	ca := newTestCA(t, "Test Hospital CA")
	server, _, _ := ca.issue(t, localhostSpec())
	_, certPEM, keyPEM := ca.issue(t, leafSpec{cn: "lab-sender"})
	certFile, keyFile := writePair(t, t.TempDir(), certPEM, keyPEM, time.Now())
	r, err := NewCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	serverCfg, err := ServerTLS(ServerTLSOptions{Certificate: &server, ClientAuth: RequireClientCert, ClientCAs: ca.pool})
	if err != nil {
		t.Fatal(err)
	}
	clientCfg, err := ClientTLS(ClientTLSOptions{RootCAs: ca.pool, Reloader: r})
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{Addr: serve(t, &Server{TLSConfig: serverCfg, Handler: ackHandler}), TLSConfig: clientCfg}
	defer c.Close()
	if _, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage("M1")); err != nil {
		t.Fatalf("Send with a reloaded client certificate: %v", err)
	}
	if _, err := NewCertReloader(filepath.Join(t.TempDir(), "missing.crt"), keyFile); err == nil {
		t.Error("NewCertReloader of a missing file succeeded")
	}
}

func TestTLSOptionErrors(t *testing.T) {
	ca := newTestCA(t, "Test Hospital CA")
	cert, _, _ := ca.issue(t, localhostSpec())
	tests := []struct {
		Name string
		Make func() (*tls.Config, error)
		Err  string
	}{
		{"server without certificate", func() (*tls.Config, error) { return ServerTLS(ServerTLSOptions{}) },
			"mllp: server TLS: no certificate; set Certificate or Reloader"},
		{"client certificates without CA", func() (*tls.Config, error) {
			return ServerTLS(ServerTLSOptions{Certificate: &cert, ClientAuth: RequireClientCert})
		}, "mllp: server TLS: client certificates need ClientCAs to verify them"},
		{"peer policy without client certificates", func() (*tls.Config, error) {
			return ServerTLS(ServerTLSOptions{Certificate: &cert, Peers: PeerPolicy{CommonNames: []string{"x"}}})
		}, "mllp: server TLS: a peer policy needs client certificates (ClientAuth)"},
		{"TLS 1.1", func() (*tls.Config, error) {
			return ServerTLS(ServerTLSOptions{Certificate: &cert, MinVersion: tls.VersionTLS11})
		}, "mllp: TLS minimum version 0x0302 refused: use TLS 1.2 or 1.3"},
		{"client TLS 1.0", func() (*tls.Config, error) { return ClientTLS(ClientTLSOptions{MinVersion: tls.VersionTLS10}) },
			"mllp: TLS minimum version 0x0301 refused: use TLS 1.2 or 1.3"},
	}
	for _, tt := range tests {
		if _, err := tt.Make(); err == nil || err.Error() != tt.Err {
			t.Errorf("%s: %v, want %q", tt.Name, err, tt.Err)
		}
	}
	cfg, err := ClientTLS(ClientTLSOptions{RootCAs: ca.pool, MinVersion: tls.VersionTLS13})
	if err != nil || cfg.MinVersion != tls.VersionTLS13 || cfg.InsecureSkipVerify {
		t.Errorf("ClientTLS: %+v, %v", cfg, err)
	}
}

func TestMatchDNS(t *testing.T) {
	tests := []struct {
		Pattern, Name string
		Match         bool
	}{
		{"lab.hospital.example", "lab.hospital.example", true},
		{"lab.hospital.example", "LAB.Hospital.Example.", true},
		{"*.hospital.example", "lab.hospital.example", true},
		{"*.hospital.example", "a.lab.hospital.example", false},
		{"*.hospital.example", "hospital.example", false},
		{"*.hospital.example", ".hospital.example", false},
		{"*.hospital.example", "*.hospital.example", false},
		{"lab.hospital.example", "lab.hospital.example.evil", false},
	}
	for _, tt := range tests {
		if got := matchDNS(tt.Pattern, tt.Name); got != tt.Match {
			t.Errorf("matchDNS(%q, %q) = %v, want %v", tt.Pattern, tt.Name, got, tt.Match)
		}
	}
}

func TestLoadCertPool(t *testing.T) {
	ca := newTestCA(t, "Test Hospital CA")
	dir := t.TempDir()
	good := filepath.Join(dir, "ca.pem")
	os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600)
	bad := filepath.Join(dir, "empty.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := LoadCertPool(good); err != nil {
		t.Errorf("LoadCertPool(good): %v", err)
	}
	if _, err := LoadCertPool(good, bad); err == nil || err.Error() != "mllp: CA bundle "+bad+" holds no PEM certificate" {
		t.Errorf("LoadCertPool(bad): %v", err)
	}
}

// TestClientTLSToPlainReceiver: a TLS client facing a receiver that does not speak TLS gets,
// within its dial timeout, an error that says what to check.
func TestClientTLSToPlainReceiver(t *testing.T) {
	ca := newTestCA(t, "test CA")
	addr := serve(t, &Server{Handler: ackHandler})
	cfg, err := ClientTLS(ClientTLSOptions{RootCAs: ca.pool})
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{Addr: addr, TLSConfig: cfg, DialTimeout: 300 * time.Millisecond, ConnectTimeout: 300 * time.Millisecond}
	defer c.Close()
	_, err = c.Send(ctxTimeout(t, 10*time.Second), testMessage("T1"))
	if err == nil || !strings.Contains(err.Error(), "check that the receiver speaks TLS") {
		t.Fatalf("Send: %v, want a TLS handshake error that says to check the receiver's TLS", err)
	}
	t.Log(err)
}

// TestTLSProbeLoggedAtDebug: a peer that connects to a TLS port and closes without a byte (a
// load balancer's health check, a port scan) is counted as a failed handshake but logged at
// debug, not as a warning; a peer that speaks plain MLLP there is still a warning.
func TestTLSProbeLoggedAtDebug(t *testing.T) {
	ca := newTestCA(t, "Test Hospital CA")
	cert, _, _ := ca.issue(t, localhostSpec())
	cfg, err := ServerTLS(ServerTLSOptions{Certificate: &cert})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	cnt := newCounters()
	s := &Server{TLSConfig: cfg, Hooks: cnt.hooks(), Handler: ackHandler, ReadTimeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	addr := serve(t, s)
	probe, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	probe.Close()
	eventually(t, "the probe counted", func() bool { return cnt.err(KindTLSHandshake) == 1 })
	if strings.Contains(logs.String(), "TLS handshake failed") {
		t.Errorf("a probe was logged as a warning:\n%s", logs.String())
	}
	plain := dialRaw(t, addr)
	plain.write(frameOf(string(testMessage("P1"))))
	eventually(t, "the plain sender counted", func() bool { return cnt.err(KindTLSHandshake) == 2 })
	eventually(t, "the plain sender logged", func() bool { return strings.Contains(logs.String(), "TLS handshake failed") })
}
