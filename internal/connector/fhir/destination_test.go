package fhir

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	fhirpkg "github.com/courier-hl7/courier/fhir"
	"github.com/courier-hl7/courier/internal/connector"
)

// TestBundleTypes: each Bundle type goes to the address FHIR R4 gives it, with the headers
// the destination promises, and the body is the converter's Bundle of that type.
func TestBundleTypes(t *testing.T) {
	srv := newServer(t, created)
	for _, tc := range []struct {
		bundle, path, prefer string
	}{
		{"transaction", "/r4", "return=minimal"},
		{"batch", "/r4", "return=minimal"},
		{"message", "/r4/$process-message", ""},
		{"collection", "/r4/Bundle", "return=minimal"},
	} {
		t.Run(tc.bundle, func(t *testing.T) {
			d := mustDest(t, t.TempDir(), fmt.Sprintf("url: %s/r4/\nbundle: %s\nheaders:\n  X-Tenant: north\n", srv.URL, tc.bundle), nil)
			before := len(srv.requests())
			resp, err := d.Send(context.Background(), outbound(t, adt("C1"), 42, 7))
			if err != nil || !resp.OK || resp.Code != "200" {
				t.Fatalf("Send: %+v, %v", resp, err)
			}
			reqs := srv.requests()[before:]
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != tc.path || r.RequestURI != tc.path {
				t.Errorf("%s %s (%s), want POST %s", r.Method, r.Path, r.RequestURI, tc.path)
			}
			for k, want := range map[string]string{
				"Content-Type":     "application/fhir+json",
				"Accept":           "application/fhir+json",
				"X-Request-Id":     "courier-42-7",
				"X-Correlation-Id": "courier-42",
				"X-Tenant":         "north",
				"Prefer":           tc.prefer,
				"Authorization":    "",
			} {
				if got := r.Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			var b struct {
				ResourceType string
				Type         string
				Entry        []struct {
					Resource struct{ ResourceType string }
					Request  *struct{ Method, URL string }
				}
			}
			if err := json.Unmarshal(r.Body, &b); err != nil {
				t.Fatalf("body: %v", err)
			}
			if b.ResourceType != "Bundle" || b.Type != tc.bundle || len(b.Entry) == 0 {
				t.Fatalf("body: %s %s with %d entries", b.ResourceType, b.Type, len(b.Entry))
			}
			put := tc.bundle == "transaction" || tc.bundle == "batch"
			for i, e := range b.Entry {
				if (e.Request != nil && e.Request.Method == "PUT") != put {
					t.Errorf("entry %d (%s): request %+v", i, e.Resource.ResourceType, e.Request)
				}
			}
			if tc.bundle == "message" && b.Entry[0].Resource.ResourceType != "MessageHeader" {
				t.Errorf("message Bundle starts with %s", b.Entry[0].Resource.ResourceType)
			}
		})
	}
}

// TestRetrySameRequest: a retried entry posts the same bytes with the same request id, so
// that the PUTs of a transaction update the same resources.
func TestRetrySameRequest(t *testing.T) {
	srv := newServer(t, created)
	d := mustDest(t, t.TempDir(), "url: "+srv.URL+"\n", nil)
	for attempt := 1; attempt <= 2; attempt++ {
		out := outbound(t, adt("C2"), 5, 9)
		out.Attempt = attempt
		if resp, err := d.Send(context.Background(), out); err != nil || !resp.OK {
			t.Fatalf("attempt %d: %+v, %v", attempt, resp, err)
		}
	}
	reqs := srv.requests()
	if len(reqs) != 2 || string(reqs[0].Body) != string(reqs[1].Body) || reqs[0].Header.Get("X-Request-Id") != reqs[1].Header.Get("X-Request-Id") {
		t.Fatalf("a retry differs from the first attempt")
	}
	if reqs[0].Path != "/" {
		t.Errorf("a transaction to a base without a path went to %q, want /", reqs[0].Path)
	}
}

// TestAuth: bearer and basic credentials are sent over TLS, and never logged.
func TestAuth(t *testing.T) {
	base := t.TempDir()
	ca := newPKI(t, base, "srv")
	srvCert := ca.issue(t, "server", "fhir.test", true)
	srv := newTLSServer(t, &tls.Config{Certificates: []tls.Certificate{srvCert}, MinVersion: tls.VersionTLS12}, created)
	writeFile(t, filepath.Join(base, "secrets", "token"), "synthetic-file-token-XYZ\n")
	for _, tc := range []struct {
		name, auth, want string
		secrets          []string
	}{
		{"bearer-file", "auth:\n  bearer:\n    token: ${file:secrets/token}\n", "Bearer synthetic-file-token-XYZ", []string{"synthetic-file-token-XYZ"}},
		{"bearer-env", "auth:\n  bearer:\n    token: ${env:FHIR_TOKEN}\n", "Bearer synthetic-env-token", []string{"synthetic-env-token"}},
		{"basic", "auth:\n  basic:\n    username: courier\n    password: ${env:FHIR_PASSWORD}\n",
			"Basic " + base64.StdEncoding.EncodeToString([]byte("courier:synthetic-password-7Q")),
			[]string{"synthetic-password-7Q", base64.StdEncoding.EncodeToString([]byte("courier:synthetic-password-7Q"))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &logBuffer{}
			d := mustDest(t, base, "url: "+srv.URL+"/fhir\ntls:\n  ca: [srv-ca.pem]\n"+tc.auth, logs)
			before := len(srv.requests())
			resp, err := d.Send(context.Background(), outbound(t, adt("A1"), 1, 1))
			if err != nil || !resp.OK {
				t.Fatalf("Send: %+v, %v", resp, err)
			}
			r := srv.requests()[before]
			if got := r.Header.Get("Authorization"); got != tc.want {
				t.Errorf("Authorization %q, want %q", got, tc.want)
			}
			if r.TLS == nil || r.TLS.Version < tls.VersionTLS12 {
				t.Errorf("not sent over TLS 1.2+: %+v", r.TLS)
			}
			// A refused request (401) is logged too: still without the credentials.
			srv.setReply(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
			defer srv.setReply(created)
			resp, err = d.Send(context.Background(), outbound(t, adt("A2"), 2, 2))
			if err != nil || resp.OK || resp.Text != "401 Unauthorized (the credentials were refused: check auth)" {
				t.Errorf("401: %+v, %v", resp, err)
			}
			text := logs.String() + fmt.Sprint(d) + fmt.Sprintf("%v %+v", resp, err)
			if !strings.Contains(logs.String(), "status=200") || !strings.Contains(logs.String(), "path=/fhir") {
				t.Errorf("the logs lack the status or path:\n%s", logs)
			}
			for _, s := range append(tc.secrets, canary) {
				if strings.Contains(text, s) {
					t.Errorf("%q leaked into logs or descriptions:\n%s", s, text)
				}
			}
		})
	}
}

// TestInsecureHTTP: with allow_insecure, credentials go over plain http as configured.
func TestInsecureHTTP(t *testing.T) {
	srv := newServer(t, created)
	d := mustDest(t, t.TempDir(), "url: "+srv.URL+"\nallow_insecure: true\nauth:\n  bearer:\n    token: plain-token\n", nil)
	if resp, err := d.Send(context.Background(), outbound(t, adt("I1"), 1, 1)); err != nil || !resp.OK {
		t.Fatalf("Send: %+v, %v", resp, err)
	}
	if got := srv.requests()[0].Header.Get("Authorization"); got != "Bearer plain-token" {
		t.Errorf("Authorization %q", got)
	}
}

// TestMutualTLS: a client certificate from the configuration is presented; a server that
// requires one and gets none, or a server the CA does not vouch for, fails the attempt
// with an error that says what to set.
func TestMutualTLS(t *testing.T) {
	base := t.TempDir()
	srvCA := newPKI(t, base, "srv")
	cliCA := newPKI(t, base, "cli")
	otherCA := newPKI(t, base, "other")
	srvCert := srvCA.issue(t, "server", "fhir.test", true)
	cliCA.issue(t, "client", "courier.test", false)
	srv := newTLSServer(t, &tls.Config{
		Certificates: []tls.Certificate{srvCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    cliCA.pool(),
		MinVersion:   tls.VersionTLS12,
	}, created)

	d := mustDest(t, base, "url: "+srv.URL+"/r4\ntls:\n  ca: [srv-ca.pem]\n  cert: client.crt\n  key: client.key\n", nil)
	resp, err := d.Send(context.Background(), outbound(t, adt("M1"), 1, 1))
	if err != nil || !resp.OK {
		t.Fatalf("with a client certificate: %+v, %v", resp, err)
	}
	reqs := srv.requests()
	if len(reqs) != 1 || len(reqs[0].TLS.PeerCertificates) == 0 || reqs[0].TLS.PeerCertificates[0].Subject.CommonName != "courier.test" {
		t.Fatalf("the server did not see the client certificate")
	}

	otherCA.issue(t, "stranger", "stranger.test", false)
	srv12 := newTLSServer(t, &tls.Config{
		Certificates: []tls.Certificate{srvCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    cliCA.pool(),
		MinVersion:   tls.VersionTLS12,
		MaxVersion:   tls.VersionTLS12,
	}, created)
	for _, tc := range []struct {
		name string
		srv  *fhirServer
		tls  string
		want string
	}{
		{"no client certificate", srv, "tls:\n  ca: [srv-ca.pem]\n", "the server asks for a client certificate and none is configured; if it requires one, set tls.cert and tls.key"},
		{"no client certificate, TLS 1.2", srv12, "tls:\n  ca: [srv-ca.pem]\n", "the server asks for a client certificate and none is configured; if it requires one, set tls.cert and tls.key"},
		{"certificate of another CA", srv, "tls:\n  ca: [srv-ca.pem]\n  cert: stranger.crt\n  key: stranger.key\n", "set tls.cert and tls.key to a certificate it trusts"},
		{"certificate of another CA, TLS 1.2", srv12, "tls:\n  ca: [srv-ca.pem]\n  cert: stranger.crt\n  key: stranger.key\n", "set tls.cert and tls.key to a certificate it trusts"},
		{"untrusted server", srv, "tls:\n  ca: [other-ca.pem]\n  cert: client.crt\n  key: client.key\n", "the server's certificate is not trusted: set tls.ca"},
		{"system roots", srv, "tls:\n  cert: client.crt\n  key: client.key\n", "the server's certificate is not trusted: set tls.ca"},
		{"wrong server name", srv, "tls:\n  ca: [srv-ca.pem]\n  server_name: ehr.test\n  cert: client.crt\n  key: client.key\n", "the server's certificate is not for this host"},
		{"plain HTTP server", nil, "tls:\n  ca: [srv-ca.pem]\n", "the server did not answer with TLS"},
		{"TLS 1.3 only", srv, "tls:\n  ca: [srv-ca.pem]\n  min_version: \"1.3\"\n  cert: client.crt\n  key: client.key\n", ""},
		{"TLS 1.3 only, server up to 1.2", srv12, "tls:\n  ca: [srv-ca.pem]\n  min_version: \"1.3\"\n  cert: client.crt\n  key: client.key\n", "protocol version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := ""
			if tc.srv != nil {
				url = tc.srv.URL
			} else {
				url = "https" + strings.TrimPrefix(newServer(t, created).URL, "http")
			}
			d := mustDest(t, base, "url: "+url+"/r4\n"+tc.tls, nil)
			resp, err := d.Send(context.Background(), outbound(t, adt("M2"), 2, 2))
			if tc.want == "" {
				if err != nil || !resp.OK {
					t.Fatalf("Send: %+v, %v", resp, err)
				}
				return
			}
			if err == nil || resp.OK {
				t.Fatalf("Send: %+v, %v; want an error", resp, err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "post /r4: ") {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestPreconverted: content a `fhir` step produced is posted byte for byte, to the address
// of its own resource and Bundle type.
func TestPreconverted(t *testing.T) {
	srv := newServer(t, created)
	d := mustDest(t, t.TempDir(), "url: "+srv.URL+"/r4\nbundle: transaction\n", nil)
	for _, tc := range []struct {
		ctype, body, path string
	}{
		{"application/fhir+json", `{"resourceType":"Bundle","type":"batch","entry":[]}`, "/r4"},
		{"application/fhir+json; fhirVersion=4.0", `{"resourceType":"Bundle","type":"message","entry":[]}`, "/r4/$process-message"},
		{"application/fhir+json", `{"type":"document","resourceType":"Bundle"}`, "/r4/Bundle"},
		{"application/fhir+json", `{"resourceType":"Patient","id":"p1"}`, "/r4/Patient"},
	} {
		before := len(srv.requests())
		out := &connector.Outbound{Content: []byte(tc.body), ContentType: tc.ctype, MessageID: 3, EntryID: 4, Attempt: 1}
		if resp, err := d.Send(context.Background(), out); err != nil || !resp.OK {
			t.Fatalf("%s: %+v, %v", tc.body, resp, err)
		}
		r := srv.requests()[before]
		if r.Path != tc.path || string(r.Body) != tc.body || r.Header.Get("Content-Type") != "application/fhir+json" {
			t.Errorf("%s: posted %q to %s as %s", tc.body, r.Body, r.Path, r.Header.Get("Content-Type"))
		}
	}
}

// TestNotConvertible: a message that cannot become FHIR fails before any request, with an
// error saying that retrying will not help.
func TestNotConvertible(t *testing.T) {
	srv := newServer(t, created)
	d := mustDest(t, t.TempDir(), "url: "+srv.URL+"\n", nil)
	unsupported := "MSH|^~\\&|A|B|C|D|20260301120000||QRY^A19^QRY_A19|Q1|P|2.5.1\rQRD|20260301|R|I|Q1\r"
	for _, tc := range []struct {
		name string
		out  *connector.Outbound
		want string
		is   error
	}{
		{"unsupported type", outbound(t, unsupported, 11, 1),
			`message 11 cannot be sent to the FHIR server: the FHIR converter cannot map it: fhir: message type "QRY^A19" (MSH-9) not supported: the converter maps `,
			fhirpkg.ErrUnsupported},
		{"does not parse", &connector.Outbound{Content: []byte("not hl7"), MessageID: 12},
			"message 12 cannot be sent to the FHIR server: it does not parse as an HL7 v2 message, so there is nothing to convert; every retry will fail the same way: skip the message in the dashboard, or keep such messages away from this destination with a filter", nil},
		{"other content type", &connector.Outbound{Content: []byte("<x/>"), ContentType: "application/xml", MessageID: 13},
			`message 13 cannot be sent to the FHIR server: the destination's steps turned it into "application/xml", which is not FHIR JSON`, nil},
		{"FHIR label on non-JSON", &connector.Outbound{Content: []byte("MSH|"), ContentType: "application/fhir+json", MessageID: 14},
			"message 14 cannot be sent to the FHIR server: its content is labelled application/fhir+json but is not JSON: invalid character", nil},
		{"no resourceType", &connector.Outbound{Content: []byte(`{"resourceType":"../admin"}`), ContentType: "application/fhir+json", MessageID: 15},
			`message 15 cannot be sent to the FHIR server: its content is labelled application/fhir+json but has no valid resourceType (got "../admin")`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := d.Send(context.Background(), tc.out)
			var ce *ConvertError
			if !errors.As(err, &ce) || resp.OK {
				t.Fatalf("Send: %+v, %v; want a *ConvertError", resp, err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) || !strings.HasSuffix(err.Error(), "every retry will fail the same way: skip the message in the dashboard, or keep such messages away from this destination with a filter") {
				t.Errorf("error %q\nwant it to start with %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error does not wrap %v", tc.is)
			}
		})
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("%d requests sent for messages that cannot be converted", n)
	}
}

// TestTimeout: a server that does not answer within request_timeout fails the attempt.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		case <-time.After(10 * time.Second):
		}
	})
	defer close(release)
	d := mustDest(t, t.TempDir(), "url: "+srv.URL+"/r4\nrequest_timeout: 150ms\n", nil)
	start := time.Now()
	resp, err := d.Send(context.Background(), outbound(t, adt("T1"), 1, 1))
	if err == nil || resp.OK {
		t.Fatalf("Send: %+v, %v; want an error", resp, err)
	}
	if want := "post /r4: no answer within 150ms (request_timeout, or the destination's timeout if shorter): "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q\nwant it to start with %q", err, want)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error does not wrap context.DeadlineExceeded: %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Send took %v", el)
	}
	// The engine's own deadline (the destination's timeout) applies as well.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	d2 := mustDest(t, t.TempDir(), "url: "+srv.URL+"/r4\nrequest_timeout: 1m\n", nil)
	if _, err := d2.Send(ctx, outbound(t, adt("T2"), 2, 2)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("with the engine's deadline: %v", err)
	}
}

// TestConnectionRefused: nothing listening is an error naming the path.
func TestConnectionRefused(t *testing.T) {
	srv := newServer(t, created)
	url := srv.URL
	srv.Close()
	d := mustDest(t, t.TempDir(), "url: "+url+"/r4\nconnect_timeout: 2s\n", nil)
	resp, err := d.Send(context.Background(), outbound(t, adt("R1"), 1, 1))
	if err == nil || resp.OK || !strings.HasPrefix(err.Error(), "post /r4: ") || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("Send: %+v, %v; want a connection error", resp, err)
	}
}

// TestResponseBounded: a response larger than max_response_size is cut, judged by its status
// and logged; the destination reads no more than the bound.
func TestResponseBounded(t *testing.T) {
	big := strings.Repeat("x", 3<<20)
	srv := newServer(t, created)
	logs := &logBuffer{}
	d := mustDest(t, t.TempDir(), "url: "+srv.URL+"\nmax_response_size: 1KiB\n", logs)
	for _, tc := range []struct {
		status int
		body   string
		ok     bool
		text   string
	}{
		{http.StatusOK, big, true, ""},
		// Cut, the OperationOutcome cannot be read: the status alone decides.
		{http.StatusOK, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","diagnostics":"` + big + `"}]}`, true, ""},
		{http.StatusBadRequest, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","diagnostics":"` + big + `"}]}`, false, "400 Bad Request"},
	} {
		srv.setReply(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		})
		resp, err := d.Send(context.Background(), outbound(t, adt("B1"), 1, 1))
		if err != nil || resp.OK != tc.ok || resp.Text != tc.text || len(resp.Raw) != 1024 || string(resp.Raw) != tc.body[:1024] {
			t.Errorf("status %d: OK %v, text %q, %d bytes, %v", tc.status, resp.OK, resp.Text, len(resp.Raw), err)
		}
	}
	if !strings.Contains(logs.String(), "fhir response cut at max_response_size") {
		t.Errorf("no warning logged:\n%s", logs)
	}
}

// TestConcurrentSends: lanes of a keyed destination send at the same time through one
// destination.
func TestConcurrentSends(t *testing.T) {
	srv := newServer(t, created)
	d := mustDest(t, t.TempDir(), "url: "+srv.URL+"\n", nil)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for lane := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				id := int64(lane*10 + i)
				resp, err := d.Send(context.Background(), outbound(t, adt(fmt.Sprintf("P%d", id)), id, id))
				if err == nil && !resp.OK {
					err = fmt.Errorf("not OK: %s", resp.Text)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(srv.requests()); n != 40 {
		t.Errorf("%d requests, want 40", n)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Error(err)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestLogs: a delivery is logged with status, path, duration and ids, and nothing of the
// message or the answer.
func TestLogs(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"Patient `+canary+` has no birth date"}]}`)
	})
	logs := &logBuffer{}
	d := mustDest(t, t.TempDir(), "url: "+srv.URL+"/r4\n", logs)
	resp, err := d.Send(context.Background(), outbound(t, adt("L1"), 77, 78))
	if err != nil || resp.OK || !strings.Contains(resp.Text, canary) {
		t.Fatalf("Send: %+v, %v", resp, err)
	}
	got := logs.String()
	for _, want := range []string{"status=422", "path=/r4", "duration=", "request_id=courier-77-78", "message=77", "control_id=L1", "destination=fhir-out"} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, canary) || strings.Contains(got, "birth date") || strings.Contains(got, "MRN") {
		t.Errorf("log holds content:\n%s", got)
	}
}
