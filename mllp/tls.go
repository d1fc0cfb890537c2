package mllp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ClientAuth says whether a server asks peers for a certificate.
type ClientAuth int

const (
	// NoClientCert does not ask for a client certificate.
	NoClientCert ClientAuth = iota
	// OptionalClientCert asks for one and verifies it when given; a peer without one is let
	// in, and the handler can see that Request.Conn.TLS.PeerCertificates is empty.
	OptionalClientCert
	// RequireClientCert refuses peers without a certificate verified by ClientCAs (mTLS).
	RequireClientCert
)

// PeerPolicy lists the identities a peer's certificate may carry, on top of the chain
// verification. A certificate is allowed when any of its identities matches any entry; an
// empty policy allows every certificate the CA pool verifies.
type PeerPolicy struct {
	// CommonNames are exact subject common names.
	CommonNames []string
	// DNSNames are DNS subject alternative names, compared without regard to case; an entry
	// "*.lab.example.org" matches exactly one label in place of the star.
	DNSNames []string
	// URIs are exact URI subject alternative names, such as SPIFFE ids.
	URIs []string
}

func (p PeerPolicy) empty() bool {
	return len(p.CommonNames) == 0 && len(p.DNSNames) == 0 && len(p.URIs) == 0
}

// Allows reports whether cert carries one of the identities of p.
func (p PeerPolicy) Allows(cert *x509.Certificate) bool {
	if p.empty() {
		return true
	}
	if cert.Subject.CommonName != "" && slices.Contains(p.CommonNames, cert.Subject.CommonName) {
		return true
	}
	for _, name := range cert.DNSNames {
		for _, pat := range p.DNSNames {
			if matchDNS(pat, name) {
				return true
			}
		}
	}
	for _, u := range cert.URIs {
		if slices.Contains(p.URIs, u.String()) {
			return true
		}
	}
	return false
}

// matchDNS matches a DNS name against a pattern with an optional leading "*." wildcard
// standing for one label.
func matchDNS(pattern, name string) bool {
	pattern, name = strings.ToLower(strings.TrimSuffix(pattern, ".")), strings.ToLower(strings.TrimSuffix(name, "."))
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		label, domain, found := strings.Cut(name, ".")
		return found && label != "" && label != "*" && domain == rest
	}
	return pattern == name
}

// verifyPeer checks the peer's leaf certificate, already verified against the CA pool,
// against the policy.
func (p PeerPolicy) verifyPeer(cs tls.ConnectionState) error {
	if p.empty() || len(cs.PeerCertificates) == 0 {
		return nil
	}
	leaf := cs.PeerCertificates[0]
	if p.Allows(leaf) {
		return nil
	}
	uris := make([]string, len(leaf.URIs))
	for i, u := range leaf.URIs {
		uris[i] = u.String()
	}
	return fmt.Errorf("mllp: peer certificate (CN %q, DNS %q, URI %q) is not one of the allowed peers; add it to the peer policy if it should connect",
		leaf.Subject.CommonName, leaf.DNSNames, uris)
}

// secureCipherSuites are the TLS 1.2 suites allowed: forward secret key exchange and AEAD
// ciphers only. TLS 1.3 suites are all secure and not configurable.
var secureCipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

func minVersion(v uint16) (uint16, error) {
	switch v {
	case 0:
		return tls.VersionTLS12, nil
	case tls.VersionTLS12, tls.VersionTLS13:
		return v, nil
	}
	return 0, fmt.Errorf("mllp: TLS minimum version %#04x refused: use TLS 1.2 or 1.3", v)
}

// ServerTLSOptions describe the TLS side of a Server.
type ServerTLSOptions struct {
	// Certificate is the server's certificate and key. Exactly one of Certificate and
	// Reloader is required.
	Certificate *tls.Certificate
	// Reloader serves a certificate reloaded from files when they change.
	Reloader *CertReloader
	// ClientAuth says whether clients must present a certificate.
	ClientAuth ClientAuth
	// ClientCAs verifies client certificates; required unless ClientAuth is NoClientCert.
	ClientCAs *x509.CertPool
	// Peers restricts which verified client certificates are let in.
	Peers PeerPolicy
	// MinVersion is tls.VersionTLS12 (when zero) or tls.VersionTLS13.
	MinVersion uint16
}

// ServerTLS returns a TLS configuration for a Server: TLS 1.2 or later, forward secret AEAD
// cipher suites only, client certificates as asked, and the peer policy checked after chain
// verification.
func ServerTLS(o ServerTLSOptions) (*tls.Config, error) {
	minV, err := minVersion(o.MinVersion)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: minV, CipherSuites: secureCipherSuites}
	switch {
	case o.Certificate != nil && o.Reloader != nil:
		return nil, errors.New("mllp: server TLS: set Certificate or Reloader, not both")
	case o.Certificate != nil:
		cfg.Certificates = []tls.Certificate{*o.Certificate}
	case o.Reloader != nil:
		cfg.GetCertificate = o.Reloader.GetCertificate
	default:
		return nil, errors.New("mllp: server TLS: no certificate; set Certificate or Reloader")
	}
	switch o.ClientAuth {
	case NoClientCert:
		cfg.ClientAuth = tls.NoClientCert
		if !o.Peers.empty() {
			return nil, errors.New("mllp: server TLS: a peer policy needs client certificates (ClientAuth)")
		}
	case OptionalClientCert:
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case RequireClientCert:
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("mllp: server TLS: unknown ClientAuth %d", o.ClientAuth)
	}
	if o.ClientAuth != NoClientCert {
		if o.ClientCAs == nil {
			return nil, errors.New("mllp: server TLS: client certificates need ClientCAs to verify them")
		}
		cfg.ClientCAs = o.ClientCAs
		cfg.VerifyConnection = o.Peers.verifyPeer
	}
	return cfg, nil
}

// ClientTLSOptions describe the TLS side of a Client.
type ClientTLSOptions struct {
	// RootCAs verifies the server; the system's roots when nil.
	RootCAs *x509.CertPool
	// Certificate is the client's certificate, for servers that ask for one. At most one of
	// Certificate and Reloader.
	Certificate *tls.Certificate
	// Reloader serves a client certificate reloaded from files when they change.
	Reloader *CertReloader
	// ServerName is the name verified in the server's certificate; the host of Client.Addr
	// when empty. Verification is never turned off.
	ServerName string
	// Peers further restricts which server certificates are accepted (pinning).
	Peers PeerPolicy
	// MinVersion is tls.VersionTLS12 (when zero) or tls.VersionTLS13.
	MinVersion uint16
}

// ClientTLS returns a TLS configuration for a Client: TLS 1.2 or later, forward secret AEAD
// cipher suites only, server name verification always on.
func ClientTLS(o ClientTLSOptions) (*tls.Config, error) {
	minV, err := minVersion(o.MinVersion)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: minV, CipherSuites: secureCipherSuites, RootCAs: o.RootCAs, ServerName: o.ServerName}
	switch {
	case o.Certificate != nil && o.Reloader != nil:
		return nil, errors.New("mllp: client TLS: set Certificate or Reloader, not both")
	case o.Certificate != nil:
		cfg.Certificates = []tls.Certificate{*o.Certificate}
	case o.Reloader != nil:
		cfg.GetClientCertificate = o.Reloader.GetClientCertificate
	}
	if !o.Peers.empty() {
		cfg.VerifyConnection = o.Peers.verifyPeer
	}
	return cfg, nil
}

// LoadCertPool reads PEM certificates (CA bundles) from files into a pool.
func LoadCertPool(pemFiles ...string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for _, f := range pemFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("mllp: read CA bundle: %w", err)
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("mllp: CA bundle %s holds no PEM certificate", f)
		}
	}
	return pool, nil
}

// DefaultCheckInterval is how often a CertReloader looks at its files' modification times,
// at most, when a handshake asks for the certificate.
const DefaultCheckInterval = time.Second

// CertReloader serves a certificate and key read from PEM files, and reads them again when
// they change, so that a renewed certificate is used without a restart. It looks at the
// files' size and modification time during handshakes, at most once per CheckInterval, and
// reloads on demand with Reload (for instance on SIGHUP). A reload that fails (a half
// written file, a key that does not match) keeps the previous certificate and is reported
// by Err.
type CertReloader struct {
	// CheckInterval is the least time between two looks at the files; DefaultCheckInterval
	// when zero; negative: only Reload reloads. Set it before use.
	CheckInterval time.Duration

	certFile, keyFile string
	cert              atomic.Pointer[tls.Certificate]
	lastCheck         atomic.Int64 // unix nanoseconds
	mu                sync.Mutex   // serialises reloads
	stamp             [2]fileStamp
	err               error
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// NewCertReloader loads the certificate and key from their files, failing if they cannot be
// used.
func NewCertReloader(certFile, keyFile string) (*CertReloader, error) {
	r := &CertReloader{certFile: certFile, keyFile: keyFile}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the files again. On failure the previous certificate stays in use.
func (r *CertReloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reloadLocked()
}

func (r *CertReloader) reloadLocked() error {
	stamp, err := r.stat()
	if err == nil {
		var cert tls.Certificate
		cert, err = tls.LoadX509KeyPair(r.certFile, r.keyFile)
		if err == nil {
			r.cert.Store(&cert)
			r.stamp = stamp
		}
	}
	if err != nil {
		err = fmt.Errorf("mllp: load certificate %s and key %s: %w", r.certFile, r.keyFile, err)
	}
	r.err = err
	return err
}

func (r *CertReloader) stat() ([2]fileStamp, error) {
	var st [2]fileStamp
	for i, f := range [2]string{r.certFile, r.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return st, err
		}
		st[i] = fileStamp{mod: fi.ModTime(), size: fi.Size()}
	}
	return st, nil
}

// check reloads when the files changed since the last load, at most once per interval. It
// never makes a handshake wait for another one's reload.
func (r *CertReloader) check() {
	every := r.CheckInterval
	if every == 0 {
		every = DefaultCheckInterval
	}
	if every < 0 {
		return
	}
	now := time.Now().UnixNano()
	last := r.lastCheck.Load()
	if now-last < int64(every) || !r.lastCheck.CompareAndSwap(last, now) {
		return
	}
	if !r.mu.TryLock() {
		return
	}
	defer r.mu.Unlock()
	if st, err := r.stat(); err == nil && st != r.stamp {
		r.reloadLocked()
	}
}

// Certificate returns the certificate in use; its Leaf gives the expiry date.
func (r *CertReloader) Certificate() *tls.Certificate { return r.cert.Load() }

// Err returns the error of the last reload, or nil if it succeeded.
func (r *CertReloader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// GetCertificate serves the certificate to a tls.Config of a server.
func (r *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.check()
	return r.cert.Load(), nil
}

// GetClientCertificate serves the certificate to a tls.Config of a client.
func (r *CertReloader) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	r.check()
	return r.cert.Load(), nil
}
