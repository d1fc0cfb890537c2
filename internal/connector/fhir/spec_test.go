package fhir

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
)

func TestSpecExamples(t *testing.T) {
	if err := testRegistry(t).CheckExamples(); err != nil {
		t.Fatal(err)
	}
	// The examples also build, with the files and variables they name.
	base := t.TempDir()
	writeFile(t, filepath.Join(base, "secrets", "fhir-token"), "synthetic-token\n")
	ca := newPKI(t, filepath.Join(base, "tls"), "fhir")
	ca.issue(t, "courier", "courier.test", false)
	for i, ex := range Spec().Examples {
		if _, err := newTestDest(t, base, strings.TrimPrefix(ex, "type: fhir\n"), nil); err != nil { // newTestDest gives the type
			t.Errorf("example %d: %v", i+1, err)
		}
	}
	if _, ok := connector.Global().Specs().Lookup(connector.CategoryDestination, "fhir"); !ok {
		t.Errorf("fhir destination not registered")
	}
}

// TestSpecFields: every field has a description and an example, and every optional one a
// default, so that the generated docs are complete.
func TestSpecFields(t *testing.T) {
	var check func(prefix string, fields []config.Field)
	check = func(prefix string, fields []config.Field) {
		for _, f := range fields {
			name := prefix + f.Name
			if f.Description == "" || f.Example == nil {
				t.Errorf("%s: description %q, example %v", name, f.Description, f.Example)
			}
			if !f.Required && f.Default == nil && f.Type != config.Object && f.Type != config.Map && f.Type != config.List {
				t.Errorf("%s: no default", name)
			}
			check(name+".", f.Fields)
		}
	}
	s := Spec()
	if s.Summary == "" || s.Description == "" || len(s.Examples) == 0 {
		t.Errorf("summary, description and examples are required")
	}
	check("", s.Fields)
}

func TestConfigErrors(t *testing.T) {
	base := t.TempDir()
	writeFile(t, filepath.Join(base, "bad-ca.pem"), "not a certificate\n")
	for _, tc := range []struct {
		yaml, err string
	}{
		{"bundle: transaction\n", "test.yaml:2:3: destination: missing required key `url`"},
		{"url: \"fhir.example/r4\"\n", "test.yaml:3:8: destination.url: the URL must start with https:// (or http://), like https://fhir.hospital.example/r4"},
		{"url: \"https://fhir.example/r4 x%zz\"\n", `test.yaml:3:8: destination.url: not a URL: invalid URL escape "%zz"`},
		{"url: \"https:///r4\"\n", "test.yaml:3:8: destination.url: the URL has no host: write it like https://fhir.hospital.example/r4"},
		{"url: \"https://user:secret@fhir.example/r4\"\n", "test.yaml:3:8: destination.url: the URL holds credentials: remove them and set auth instead, so that they are kept out of logs"},
		{"url: \"https://fhir.example/r4?_format=json\"\n", "test.yaml:3:8: destination.url: the URL has a query or fragment: give the FHIR server's base URL only"},
		{"url: http://fhir.example/r4\n", "test.yaml:3:8: destination.url: http:// sends patient data unencrypted: use https, or set allow_insecure: true (only on a network you trust)"},
		{"url: http://127.0.0.1:8080/r4\nauth:\n  bearer:\n    token: t0ken\n",
			"test.yaml:3:8: destination.url: auth would send credentials unencrypted over http://: use an https URL, or set allow_insecure: true (only on a network you trust)"},
		{"url: http://localhost/r4\nauth:\n  basic:\n    username: u\n    password: p\n",
			"test.yaml:3:8: destination.url: auth would send credentials unencrypted over http://: use an https URL, or set allow_insecure: true (only on a network you trust)"},
		{"url: https://fhir.example/r4\nauth:\n  bearer:\n    token: t\n  basic:\n    username: u\n    password: p\n",
			"test.yaml:8:7: destination.auth.basic: give either bearer or basic, not both: a request carries one Authorization header"},
		{"url: https://fhir.example/r4\nauth:\n  bearer:\n    token: \"\"\n",
			"test.yaml:6:14: destination.auth.bearer.token: the bearer token is empty: set token (with ${file:PATH} or ${env:NAME})"},
		{"url: https://fhir.example/r4\nauth:\n  bearer:\n    token: \"a b\"\n",
			"test.yaml:6:14: destination.auth.bearer.token: the bearer token holds spaces or control characters (a stray line end in its file?)"},
		{"url: https://fhir.example/r4\nauth:\n  basic:\n    password: p\n",
			"test.yaml:6:7: destination.auth.basic.username: basic authentication needs a username"},
		{"url: https://fhir.example/r4\nauth:\n  basic:\n    username: \"a:b\"\n    password: p\n",
			"test.yaml:6:17: destination.auth.basic.username: the username cannot contain `:` (RFC 7617)"},
		{"url: http://127.0.0.1/r4\ntls:\n  ca: [ca.pem]\n", "test.yaml:5:5: destination.tls: tls applies to https URLs; the url is http://"},
		{"url: https://fhir.example/r4\ntls:\n  ca: [missing.pem]\n", "test.yaml:5:9: destination.tls.ca: read CA bundle: open BASE/missing.pem: no such file or directory"},
		{"url: https://fhir.example/r4\ntls:\n  ca: [bad-ca.pem]\n", "test.yaml:5:9: destination.tls.ca: CA bundle BASE/bad-ca.pem holds no PEM certificate"},
		{"url: https://fhir.example/r4\ntls:\n  cert: c.crt\n", "test.yaml:5:11: destination.tls.cert: set both cert and key"},
		{"url: https://fhir.example/r4\ntls:\n  cert: c.crt\n  key: c.key\n", "test.yaml:5:11: destination.tls.cert: load certificate BASE/c.crt and key BASE/c.key: stat BASE/c.crt: no such file or directory"},
		{"url: https://fhir.example/r4\nheaders:\n  Authorization: Bearer x\n",
			"test.yaml:5:20: destination.headers.Authorization: header Authorization cannot be set here: set credentials with auth (bearer or basic)"},
		{"url: https://fhir.example/r4\nheaders:\n  content-type: text/plain\n",
			"test.yaml:5:19: destination.headers.content-type: header Content-Type cannot be set here: the destination sets it itself"},
		{"url: https://fhir.example/r4\nheaders:\n  \"X Tenant\": a\n",
			"test.yaml:5:17: destination.headers[\"X Tenant\"]: \"X Tenant\" is not a valid header name (letters, digits and !#$%&'*+-.^_`|~)"},
		{"url: https://fhir.example/r4\nheaders:\n  X-Tenant: \"a\\r\\nX-Evil: 1\"\n",
			"test.yaml:5:15: destination.headers.X-Tenant: the value of header X-Tenant holds control characters"},
		{"url: https://fhir.example/r4\ntime_zone: Mars/Olympus\n",
			`test.yaml:4:14: destination.time_zone: unknown time zone "Mars/Olympus": use an IANA name like Europe/Berlin, UTC or Local`},
		{"url: https://fhir.example/r4\nnamespace: not-a-uuid\n",
			`test.yaml:4:14: destination.namespace: "not-a-uuid" is not a UUID like 9b2d8f4e-6a1c-4c3e-9f7a-2b5d8e1f0a47`},
		{"url: https://fhir.example/r4\nsource_endpoint: adt feed\n",
			`test.yaml:4:20: destination.source_endpoint: "adt feed" is not an absolute URI like mllp://adt.hospital.example:2575`},
		{"url: https://fhir.example/r4\nidentifier_systems:\n  GH: hospital mrn\n",
			`test.yaml:5:9: destination.identifier_systems.GH: "hospital mrn" is not an absolute URI like http://hospital.example.org/codes or urn:oid:2.16.840.1.113883.19`},
		{"url: https://fhir.example/r4\nbundle: document\n",
			"test.yaml:4:11: destination.bundle: invalid value `document` (allowed: `transaction`, `batch`, `message`, `collection`)"},
		{"url: https://fhir.example/r4\nmax_response_size: 10\n",
			"test.yaml:4:22: destination.max_response_size: `10` is below the minimum 1KiB"},
		// Every problem at once, in file order.
		{"url: http://fhir.example/r4\ntime_zone: Nowhere\nauth:\n  bearer:\n    token: x\n",
			"test.yaml:3:8: destination.url: http:// sends patient data unencrypted: use https, or set allow_insecure: true (only on a network you trust)\n" +
				"test.yaml:3:8: destination.url: auth would send credentials unencrypted over http://: use an https URL, or set allow_insecure: true (only on a network you trust)\n" +
				`test.yaml:4:14: destination.time_zone: unknown time zone "Nowhere": use an IANA name like Europe/Berlin, UTC or Local`},
	} {
		n, err := decodeNode(t, "", tc.yaml)
		if err == nil {
			var d connector.Destination
			d, err = New(n, connector.Deps{BaseDir: base, Name: "fhir"})
			if d != nil {
				d.Close(context.Background())
			}
		}
		want := strings.ReplaceAll(tc.err, "BASE", base)
		if err == nil || err.Error() != want {
			t.Errorf("%q:\n got %v\nwant %s", tc.yaml, err, want)
		}
		if err != nil && config.AsErrors(err) == nil {
			t.Errorf("%q: %T is not a configuration error", tc.yaml, err)
		}
		if err != nil && (strings.Contains(err.Error(), "t0ken") || strings.Contains(err.Error(), "secret@")) {
			t.Errorf("%q: the error quotes a secret: %v", tc.yaml, err)
		}
	}
}
