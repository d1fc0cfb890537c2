// Package mllp is the MLLP source and destination: HL7 v2 over TCP, with TLS ("MLLPS") and
// MLLP Release 2 commit acknowledgements, built on the public mllp package.
package mllp

import (
	"crypto/tls"
	"path/filepath"

	"github.com/courier-hl7/courier/internal/config"
	mllppkg "github.com/courier-hl7/courier/mllp"
)

// TLS configuration keys, shared by the source and the destination.
const (
	fieldTLS         = "tls"
	fieldCert        = "cert"
	fieldKey         = "key"
	fieldCA          = "ca"
	fieldClientAuth  = "client_auth"
	fieldServerName  = "server_name"
	fieldPeers       = "allowed_peers"
	fieldCommonNames = "common_names"
	fieldDNSNames    = "dns_names"
	fieldURIs        = "uris"
	fieldMinVersion  = "min_version"
)

func peersField(what string) config.Field {
	return config.Field{Name: fieldPeers, Type: config.Object, Description: "Which " + what + " certificates are accepted, on top of the CA check: any listed identity matches. Empty: every certificate the CAs verify.", Fields: []config.Field{
		{Name: fieldCommonNames, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "Exact subject common names.", Example: []any{"lis.hospital.example"}},
		{Name: fieldDNSNames, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "DNS subject alternative names; `*.lab.example.org` matches one label.", Example: []any{"*.lab.example.org"}},
		{Name: fieldURIs, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "Exact URI subject alternative names (SPIFFE ids).", Example: []any{"spiffe://hospital.example/lis"}},
	}}
}

var minVersionField = config.Field{Name: fieldMinVersion, Type: config.String, Default: "1.2", Enum: []string{"1.2", "1.3"}, Description: "Oldest TLS version accepted. TLS 1.0 and 1.1 are never accepted."}

func serverTLSField() config.Field {
	return config.Field{Name: fieldTLS, Type: config.Object, Description: "Serve MLLP over TLS (MLLPS). Without `cert`, the listener is plain TCP.", Fields: []config.Field{
		{Name: fieldCert, Type: config.String, Default: "", Description: "PEM certificate chain of this listener. Reloaded when the file changes, without a restart.", Example: "/etc/courier/tls/mllp.crt"},
		{Name: fieldKey, Type: config.String, Default: "", Description: "PEM private key of the certificate.", Example: "/etc/courier/tls/mllp.key"},
		{Name: fieldClientAuth, Type: config.String, Default: "none", Enum: []string{"none", "optional", "require"}, Description: "Whether senders must present a certificate (`require`: mutual TLS)."},
		{Name: fieldCA, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "PEM files of the CAs that sign client certificates; required with client_auth optional or require.", Example: []any{"/etc/courier/tls/partners-ca.pem"}},
		peersField("client"),
		minVersionField,
	}}
}

func clientTLSField() config.Field {
	return config.Field{Name: fieldTLS, Type: config.Object, Description: "Connect with TLS (MLLPS). The server's name is always verified.", Fields: []config.Field{
		{Name: "enabled", Type: config.Bool, Default: false, Description: "Use TLS. Implied when any other TLS key is set."},
		{Name: fieldCA, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "PEM files of the CAs that sign the server's certificate. Empty: the system's roots.", Example: []any{"/etc/courier/tls/ehr-ca.pem"}},
		{Name: fieldCert, Type: config.String, Default: "", Description: "PEM client certificate, for servers that require one (mutual TLS). Reloaded when the file changes.", Example: "/etc/courier/tls/courier-client.crt"},
		{Name: fieldKey, Type: config.String, Default: "", Description: "PEM private key of the client certificate.", Example: "/etc/courier/tls/courier-client.key"},
		{Name: fieldServerName, Type: config.String, Default: "", Description: "Name to verify in the server's certificate. Default: the host.", Example: "ehr.hospital.example"},
		peersField("server"),
		minVersionField,
	}}
}

func resolve(base, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

func peerPolicy(n *config.Node) mllppkg.PeerPolicy {
	p := n.Object(fieldPeers)
	return mllppkg.PeerPolicy{CommonNames: p.Strings(fieldCommonNames), DNSNames: p.Strings(fieldDNSNames), URIs: p.Strings(fieldURIs)}
}

func tlsVersion(n *config.Node) uint16 {
	if n.String(fieldMinVersion) == "1.3" {
		return tls.VersionTLS13
	}
	return tls.VersionTLS12
}

// serverTLS builds the listener's TLS configuration, or nil for plain TCP.
func serverTLS(n *config.Node, base string) (*tls.Config, error) {
	t := n.Object(fieldTLS)
	cert, key := resolve(base, t.String(fieldCert)), resolve(base, t.String(fieldKey))
	if cert == "" && key == "" {
		if t.Has(fieldClientAuth) || t.Has(fieldCA) {
			return nil, t.Errorf(fieldCert, "TLS settings without a certificate: set cert and key")
		}
		return nil, nil
	}
	if cert == "" || key == "" {
		return nil, t.Errorf(fieldCert, "set both cert and key")
	}
	rl, err := mllppkg.NewCertReloader(cert, key)
	if err != nil {
		return nil, t.Errorf(fieldCert, "%v", err)
	}
	o := mllppkg.ServerTLSOptions{Reloader: rl, Peers: peerPolicy(t), MinVersion: tlsVersion(t)}
	switch t.String(fieldClientAuth) {
	case "optional":
		o.ClientAuth = mllppkg.OptionalClientCert
	case "require":
		o.ClientAuth = mllppkg.RequireClientCert
	}
	if cas := t.Strings(fieldCA); len(cas) > 0 {
		for i := range cas {
			cas[i] = resolve(base, cas[i])
		}
		if o.ClientCAs, err = mllppkg.LoadCertPool(cas...); err != nil {
			return nil, t.Errorf(fieldCA, "%v", err)
		}
	} else if o.ClientAuth != mllppkg.NoClientCert {
		return nil, t.Errorf(fieldClientAuth, "client_auth %s needs the CAs that sign client certificates: set ca", t.String(fieldClientAuth))
	}
	cfg, err := mllppkg.ServerTLS(o)
	if err != nil {
		return nil, t.Errorf(fieldCert, "%v", err)
	}
	return cfg, nil
}

// clientTLS builds a destination's TLS configuration, or nil for plain TCP.
func clientTLS(n *config.Node, base string) (*tls.Config, error) {
	t := n.Object(fieldTLS)
	on := t.Bool("enabled")
	for _, k := range []string{fieldCA, fieldCert, fieldKey, fieldServerName, fieldPeers, fieldMinVersion} {
		on = on || t.Has(k)
	}
	if !on {
		return nil, nil
	}
	o := mllppkg.ClientTLSOptions{ServerName: t.String(fieldServerName), Peers: peerPolicy(t), MinVersion: tlsVersion(t)}
	if cas := t.Strings(fieldCA); len(cas) > 0 {
		for i := range cas {
			cas[i] = resolve(base, cas[i])
		}
		pool, err := mllppkg.LoadCertPool(cas...)
		if err != nil {
			return nil, t.Errorf(fieldCA, "%v", err)
		}
		o.RootCAs = pool
	}
	cert, key := resolve(base, t.String(fieldCert)), resolve(base, t.String(fieldKey))
	if (cert == "") != (key == "") {
		return nil, t.Errorf(fieldCert, "set both cert and key")
	}
	if cert != "" {
		rl, err := mllppkg.NewCertReloader(cert, key)
		if err != nil {
			return nil, t.Errorf(fieldCert, "%v", err)
		}
		o.Reloader = rl
	}
	cfg, err := mllppkg.ClientTLS(o)
	if err != nil {
		return nil, t.Errorf(fieldCA, "%v", err)
	}
	return cfg, nil
}
