package fhir

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/store"
)

// testRegistry holds this package's spec as a destination.
func testRegistry(t testing.TB) *config.Registry {
	t.Helper()
	reg := config.NewRegistry()
	if err := reg.Register(connector.CategoryDestination, Spec()); err != nil {
		t.Fatal(err)
	}
	return reg
}

// testRoot is a configuration file with one destination.
var testRoot = config.Spec{Name: "test.yaml", Fields: []config.Field{
	{Name: "destination", Type: config.Plugin, Category: connector.CategoryDestination},
}}

// testEnv stands in for the process environment of ${env:NAME}.
var testEnv = map[string]string{
	"FHIR_TOKEN":       "synthetic-env-token",
	"FHIR_PASSWORD":    "synthetic-password-7Q",
	"FHIR_GATEWAY_KEY": "synthetic-gateway-key",
}

// decodeNode decodes the keys of one fhir destination (without `type`), as the file
// dir/test.yaml would hold them; dir is where relative ${file:...} paths start.
func decodeNode(t testing.TB, dir, yaml string) (*config.Node, error) {
	t.Helper()
	doc := "destination:\n  type: fhir\n" + indent(yaml)
	name := "test.yaml"
	if dir != "" {
		name = filepath.Join(dir, "test.yaml")
	}
	root, err := config.Decode(name, []byte(doc), testRoot, testRegistry(t), func(k string) (string, bool) {
		v, ok := testEnv[k]
		return v, ok
	})
	if err != nil {
		return nil, err
	}
	return root.Object("destination"), nil
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// newTestDest builds a destination from YAML keys; relative paths and ${file:...} are
// relative to base, and its logs go to logs when it is not nil.
func newTestDest(t testing.TB, base, yaml string, logs *logBuffer) (*destination, error) {
	t.Helper()
	n, err := decodeNode(t, base, yaml)
	if err != nil {
		return nil, err
	}
	deps := connector.Deps{BaseDir: base, Channel: "test", Name: "fhir-out"}
	if logs != nil {
		// As the server gives it: with the destination's name.
		deps.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("destination", deps.Name)
	}
	d, err := New(n, deps)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { d.Close(context.Background()) })
	return d.(*destination), nil
}

func mustDest(t testing.TB, base, yaml string, logs *logBuffer) *destination {
	t.Helper()
	d, err := newTestDest(t, base, yaml, logs)
	if err != nil {
		t.Fatalf("destination config: %v", err)
	}
	return d
}

// logBuffer collects log lines; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// canary is a synthetic patient name that must never appear in logs.
const canary = "CANARYFAMILY"

// adt returns a synthetic ADT^A01 with control ID id.
func adt(id string) string {
	return "MSH|^~\\&|ADT|GH|EHR|GH|20260301120000||ADT^A01^ADT_A01|" + id + "|P|2.5.1\r" +
		"EVN|A01|20260301120000\r" +
		"PID|1||MRN" + id + "^^^GH^MR||" + canary + "^JANE||19800101|F\r" +
		"PV1|1|I|W1^101^1||||||||||||||||V" + id + "^^^GH^VN\r"
}

// outbound returns the Outbound the engine would hand over for raw, parsed as it parses.
func outbound(t testing.TB, raw string, msgID, entryID int64) *connector.Outbound {
	t.Helper()
	out := &connector.Outbound{Content: []byte(raw), MessageID: msgID, EntryID: entryID, Attempt: 1, Received: time.Now()}
	if m, err := hl7.Parse([]byte(raw)); err == nil {
		out.Message = m
		out.Meta = store.Meta{Type: m.Type(), Trigger: m.Trigger(), ControlID: m.ControlID()}
	}
	return out
}

// request is what the stand-in FHIR server received.
type request struct {
	Method     string
	Path       string
	RequestURI string
	Header     http.Header
	Body       []byte
	TLS        *tls.ConnectionState
}

// fhirServer stands in for a FHIR server on 127.0.0.1: it records each request and answers
// with reply.
type fhirServer struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []request
	reply http.HandlerFunc
}

func (s *fhirServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	s.mu.Lock()
	s.reqs = append(s.reqs, request{Method: r.Method, Path: r.URL.Path, RequestURI: r.RequestURI, Header: r.Header.Clone(), Body: body, TLS: r.TLS})
	reply := s.reply
	s.mu.Unlock()
	reply(w, r)
}

// requests returns what the server received so far.
func (s *fhirServer) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.reqs...)
}

func (s *fhirServer) setReply(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reply = h
}

// created answers 200 with a transaction-response whose entries all succeeded.
func created(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", mediaFHIRJSON)
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, `{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"201 Created","location":"Patient/1/_history/1"}}]}`)
}

// newServer starts a plain HTTP stand-in.
func newServer(t testing.TB, reply http.HandlerFunc) *fhirServer {
	t.Helper()
	s := &fhirServer{reply: reply}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

// newTLSServer starts an HTTPS stand-in with cfg (the certificate included).
func newTLSServer(t testing.TB, cfg *tls.Config, reply http.HandlerFunc) *fhirServer {
	t.Helper()
	s := &fhirServer{reply: reply}
	s.Server = httptest.NewUnstartedServer(s)
	s.Server.TLS = cfg
	// The server's own handshake failures (a client without a certificate) are expected.
	s.Server.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// pki is a test CA with certificates it signed, written as PEM files in dir.
type pki struct {
	dir    string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caFile string
}

func newPKI(t testing.TB, dir, name string) *pki {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{dir: dir, ca: ca, caKey: key, caFile: filepath.Join(dir, name+"-ca.pem")}
	writePEM(t, p.caFile, "CERTIFICATE", der)
	return p
}

// issue signs a leaf certificate for cn (with 127.0.0.1 and localhost as names when server),
// writes it and its key as name.crt and name.key, and returns it loaded.
func (p *pki) issue(t testing.TB, name, cn string, server bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.DNSNames = []string{"localhost", cn}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(p.dir, name+".crt"), filepath.Join(p.dir, name+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (p *pki) pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	return pool
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
