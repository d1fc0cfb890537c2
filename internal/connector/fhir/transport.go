package fhir

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/courier-hl7/courier/internal/config"
	mllppkg "github.com/courier-hl7/courier/mllp"
)

// Connection pool bounds of one destination. A destination sends one message at a time per
// lane, and at most `parallel` lanes (8 by default) at once, so a few idle connections cover
// it; idle ones are closed after a while so that a quiet destination holds nothing open.
const (
	maxIdleConns    = 8
	idleConnTimeout = 90 * time.Second
	keepAlive       = 30 * time.Second
	maxHeaderBytes  = 64 << 10
)

// parseBase checks the url field and returns it, and whether it is plain http. It reports
// plain http to a host other than the loopback interface unless allow_insecure is set.
func parseBase(n *config.Node, errs *config.Errors) (*url.URL, bool) {
	raw := n.String(fieldURL)
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse quotes the whole input in its error, which may hold a secret someone
		// pasted there: say what is wrong without it.
		var ue *url.Error
		msg := err.Error()
		if errors.As(err, &ue) {
			msg = ue.Err.Error()
		}
		*errs = append(*errs, n.Errorf(fieldURL, "not a URL: %s", msg))
		return nil, false
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		*errs = append(*errs, n.Errorf(fieldURL, "the URL must start with https:// (or http://), like https://fhir.hospital.example/r4"))
	case u.Host == "" || u.Hostname() == "":
		*errs = append(*errs, n.Errorf(fieldURL, "the URL has no host: write it like https://fhir.hospital.example/r4"))
	case u.User != nil:
		*errs = append(*errs, n.Errorf(fieldURL, "the URL holds credentials: remove them and set auth instead, so that they are kept out of logs"))
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		*errs = append(*errs, n.Errorf(fieldURL, "the URL has a query or fragment: give the FHIR server's base URL only"))
	default:
		insecure := u.Scheme == "http"
		if insecure && !loopback(u.Hostname()) && !n.Bool(fieldAllowInsecure) {
			*errs = append(*errs, n.Errorf(fieldURL, "http:// sends patient data unencrypted: use https, or set allow_insecure: true (only on a network you trust)"))
		}
		return u, insecure
	}
	return nil, false
}

// loopback reports whether host names the loopback interface, where plain HTTP does not
// leave the machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// transport builds the destination's own HTTP transport: its connection pool, timeouts and
// TLS configuration. u is nil when the URL was refused.
func transport(n *config.Node, u *url.URL, base string, errs *config.Errors) *http.Transport {
	connect := n.Duration(fieldConnectTimeout)
	tr := &http.Transport{
		DialContext:            (&net.Dialer{Timeout: connect, KeepAlive: keepAlive}).DialContext,
		TLSHandshakeTimeout:    connect,
		MaxIdleConns:           maxIdleConns,
		MaxIdleConnsPerHost:    maxIdleConns,
		IdleConnTimeout:        idleConnTimeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
		ForceAttemptHTTP2:      true,
	}
	if n.Bool(fieldProxyEnv) {
		tr.Proxy = http.ProxyFromEnvironment
	}
	t := n.Object(fieldTLS)
	given := false
	for _, k := range []string{fieldCA, fieldCert, fieldKey, fieldServerName, fieldMinVersion} {
		given = given || t.Has(k)
	}
	if u != nil && u.Scheme == "http" {
		if given {
			*errs = append(*errs, n.Errorf(fieldTLS, "tls applies to https URLs; the url is http://"))
		}
		return tr
	}
	o := mllppkg.ClientTLSOptions{ServerName: t.String(fieldServerName), MinVersion: tls.VersionTLS12}
	if t.String(fieldMinVersion) == "1.3" {
		o.MinVersion = tls.VersionTLS13
	}
	if cas := t.Strings(fieldCA); len(cas) > 0 {
		for i := range cas {
			cas[i] = resolve(base, cas[i])
		}
		pool, err := mllppkg.LoadCertPool(cas...)
		if err != nil {
			*errs = append(*errs, t.Errorf(fieldCA, "%s", strings.TrimPrefix(err.Error(), "mllp: ")))
		}
		o.RootCAs = pool
	}
	cert, key := resolve(base, t.String(fieldCert)), resolve(base, t.String(fieldKey))
	switch {
	case (cert == "") != (key == ""):
		*errs = append(*errs, t.Errorf(fieldCert, "set both cert and key"))
	case cert != "":
		rl, err := mllppkg.NewCertReloader(cert, key)
		if err != nil {
			*errs = append(*errs, t.Errorf(fieldCert, "%s", strings.TrimPrefix(err.Error(), "mllp: ")))
		}
		o.Reloader = rl
	}
	cfg, err := mllppkg.ClientTLS(o)
	if err != nil {
		*errs = append(*errs, t.Errorf("", "%s", strings.TrimPrefix(err.Error(), "mllp: ")))
		return tr
	}
	cfg.GetClientCertificate = noteClientCertificate(cfg.GetClientCertificate)
	tr.TLSClientConfig = cfg
	return tr
}

// resolve makes a relative path relative to the configuration file's directory.
func resolve(base, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

// handshakeNote records, for one request, what the TLS handshake of the connection it dialed
// asked of the client. With TLS 1.3 a server refuses a client certificate (or its absence)
// after the client has finished its side of the handshake, and the client often sees only a
// closed connection: the note lets the error say why.
type handshakeNote struct {
	asked atomic.Bool // the server asked for a client certificate
	sent  atomic.Bool // and one was sent
}

type noteKey struct{}

// noteClientCertificate wraps a tls.Config's GetClientCertificate (nil: no certificate) to
// fill the handshakeNote of the request whose dial runs the handshake. The handshake's
// context carries the values of that request's context.
func noteClientCertificate(get func(*tls.CertificateRequestInfo) (*tls.Certificate, error)) func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		note, _ := cri.Context().Value(noteKey{}).(*handshakeNote)
		if note != nil {
			note.asked.Store(true)
		}
		if get == nil {
			return &tls.Certificate{}, nil // none: the handshake goes on without one
		}
		c, err := get(cri)
		if note != nil && err == nil && c != nil && len(c.Certificate) > 0 {
			note.sent.Store(true)
		}
		return c, err
	}
}

// tlsHint says what to change when a request failed in or right after the TLS handshake, or
// "".
func tlsHint(err error, note *handshakeNote) string {
	var (
		verr *tls.CertificateVerificationError
		herr x509.HostnameError
		rerr tls.RecordHeaderError
	)
	msg := err.Error()
	switch {
	// The client checks the server's certificate before it is asked for its own, so these
	// come first.
	case errors.As(err, &herr):
		return "the server's certificate is not for this host: check url, or set tls.server_name to a name the certificate holds"
	case errors.As(err, &verr):
		return "the server's certificate is not trusted: set tls.ca to the CA bundle that signs it"
	case errors.As(err, &rerr), strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return "the server did not answer with TLS: check whether the url should be http:// (or the port)"
	case note.asked.Load() && !note.sent.Load():
		return "the server asks for a client certificate and none is configured; if it requires one, set tls.cert and tls.key"
	case strings.Contains(msg, "tls: certificate required"), strings.Contains(msg, "tls: bad certificate"),
		strings.Contains(msg, "tls: unknown certificate authority"):
		// The server's alert, which Go reports as text only.
		return "the server refused the client certificate: set tls.cert and tls.key to a certificate it trusts"
	case note.sent.Load():
		return "the connection failed right after the handshake in which the server asked for the client certificate, which it probably refused: set tls.cert and tls.key to a certificate it trusts"
	}
	return ""
}
