package fhir

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	ooError = `{"resourceType":"OperationOutcome","issue":[` +
		`{"severity":"information","code":"informational","diagnostics":"Processed 3 entries"},` +
		`{"severity":"error","code":"invalid","expression":["Patient.birthDate"],"diagnostics":"Invalid date 1980-13-01"},` +
		`{"severity":"fatal","code":"exception","details":{"text":"Database rolled back"}}]}`
	ooInfo = `{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational","diagnostics":"All OK"},` +
		`{"severity":"warning","code":"business-rule","diagnostics":"Unknown code system"}]}`
	txFailed = `{"resourceType":"Bundle","type":"transaction-response","entry":[` +
		`{"response":{"status":"201 Created","location":"Patient/1/_history/1"}},` +
		`{"response":{"status":"422 Unprocessable Entity","outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"required","location":["Observation.code"],"diagnostics":"Observation.code: minimum required = 1"}]}}}]}`
	batchFailed = `{"resourceType":"Bundle","type":"batch-response","entry":[` +
		`{"response":{"status":"200"}},{"response":{"status":"404 Not Found"}}]}`
	txOK = `{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"201 Created"}},` +
		`{"response":{"status":"200 OK","outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational","diagnostics":"Updated"}]}}}]}`
	msgFatal = `{"resourceType":"Bundle","type":"message","entry":[` +
		`{"resource":{"resourceType":"MessageHeader","response":{"identifier":"abc","code":"fatal-error"}}},` +
		`{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-supported","diagnostics":"Event not supported"}]}}]}`
	msgTransient = `{"resourceType":"Bundle","type":"message","entry":[` +
		`{"resource":{"resourceType":"MessageHeader","response":{"identifier":"abc","code":"transient-error"}}}]}`
	msgOK = `{"resourceType":"Bundle","type":"message","entry":[` +
		`{"resource":{"resourceType":"MessageHeader","response":{"identifier":"abc","code":"ok"}}}]}`
	collectionEcho = `{"resourceType":"Bundle","type":"collection","entry":[` +
		`{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"error","diagnostics":"part of the content"}]}}]}`
)

// TestResponses drives the destination against a server that answers each status and body,
// and checks the Response or error the engine gets.
func TestResponses(t *testing.T) {
	now := time.Now()
	httpDate := now.Add(90 * time.Second).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
		body   string
		ok     bool
		text   string // Response.Text
		err    string // the error's text; "" for none
	}{
		{"created", 201, nil, txOK, true, "", ""},
		{"no body", 200, nil, "", true, "", ""},
		{"not JSON", 200, nil, "<html>ok</html>", true, "", ""},
		{"information only", 200, nil, ooInfo, true, "", ""},
		{"OperationOutcome with errors under 200", 200, nil, ooError, false,
			"200 OK, but the answer reports errors: error: Patient.birthDate: Invalid date 1980-13-01; fatal: Database rolled back", ""},
		{"transaction-response with a failed entry", 200, nil, txFailed, false,
			"200 OK, but the answer reports errors: entry 2 (422 Unprocessable Entity): error: Observation.code: Observation.code: minimum required = 1", ""},
		{"batch-response with a failed entry", 200, nil, batchFailed, false,
			"200 OK, but the answer reports errors: entry 2 (404 Not Found): failed", ""},
		{"created collection echoed", 201, nil, collectionEcho, true, "", ""},
		{"response message ok", 200, nil, msgOK, true, "", ""},
		{"response message fatal-error", 200, nil, msgFatal, false,
			"200 OK, but the response message says fatal-error (the message was rejected: resending it unchanged will not help): entry 2: error: Event not supported", ""},
		{"response message transient-error", 200, nil, msgTransient, false, "",
			"FHIR server answered 200 OK: the response message says transient-error; the delivery will be retried per the destination's retry policy"},
		{"400", 400, nil, ooError, false,
			"400 Bad Request: error: Patient.birthDate: Invalid date 1980-13-01; fatal: Database rolled back", ""},
		{"422", 422, nil, ooError, false,
			"422 Unprocessable Entity (the server's validation rejected the content): error: Patient.birthDate: Invalid date 1980-13-01; fatal: Database rolled back", ""},
		{"404 without a body", 404, nil, "", false,
			"404 Not Found (no FHIR endpoint at this address, or a resource type the server does not support: check url)", ""},
		{"redirect", 302, map[string]string{"Location": "https://fhir2.example/r4"}, "", false,
			"302 Found: the server redirects to https://fhir2.example/r4; redirects are not followed (a POST would become a GET): set url to the FHIR server's base URL", ""},
		{"429 with seconds", 429, map[string]string{"Retry-After": "120"}, "", false, "",
			"FHIR server answered 429 Too Many Requests; it asks to retry in 2m0s, at " + now.Add(120*time.Second).UTC().Format(time.RFC3339) + " (Retry-After); the delivery will be retried per the destination's retry policy"},
		{"503 with a date", 503, map[string]string{"Retry-After": httpDate}, `{"resourceType":"OperationOutcome","issue":[{"severity":"fatal","code":"transient","diagnostics":"Maintenance"}]}`, false, "",
			"FHIR server answered 503 Service Unavailable: fatal: Maintenance; it asks to retry in 1m30s, at " + now.Add(90*time.Second).UTC().Format(time.RFC3339) + " (Retry-After); the delivery will be retried per the destination's retry policy"},
		{"500", 500, map[string]string{"Retry-After": "soon"}, "internal error", false, "",
			"FHIR server answered 500 Internal Server Error; the delivery will be retried per the destination's retry policy"},
		{"408", 408, nil, "", false, "",
			"FHIR server answered 408 Request Timeout; the delivery will be retried per the destination's retry policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := judge(tc.status, header(tc.header), []byte(tc.body), false, now)
			if resp.OK != tc.ok || resp.Text != tc.text || resp.Code != strconv.Itoa(tc.status) || string(resp.Raw) != tc.body {
				t.Errorf("Response: OK %v, code %q, text %q\nwant OK %v, code %d, text %q", resp.OK, resp.Code, resp.Text, tc.ok, tc.status, tc.text)
			}
			got := ""
			if err != nil {
				got = err.Error()
				var te *TransientError
				if !errors.As(err, &te) || te.Status != tc.status {
					t.Errorf("error %T is not a *TransientError of status %d", err, tc.status)
				}
			}
			if got != tc.err {
				t.Errorf("error\n got %q\nwant %q", got, tc.err)
			}
		})
	}
}

// TestResponsesOverHTTP: the same answers, through a real server: the status, headers and
// body reach the judgement unchanged.
func TestResponsesOverHTTP(t *testing.T) {
	var (
		status int
		hdr    map[string]string
		body   string
	)
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
	d := mustDest(t, t.TempDir(), "url: "+srv.URL+"/r4\n", nil)
	for _, tc := range []struct {
		status int
		hdr    map[string]string
		body   string
		ok     bool
		text   string
		err    string
	}{
		{200, nil, ooInfo, true, "", ""},
		{200, nil, ooError, false, "200 OK, but the answer reports errors: error: Patient.birthDate: Invalid date 1980-13-01; fatal: Database rolled back", ""},
		{200, nil, txFailed, false, "200 OK, but the answer reports errors: entry 2 (422 Unprocessable Entity): error: Observation.code: Observation.code: minimum required = 1", ""},
		{422, nil, ooError, false, "422 Unprocessable Entity (the server's validation rejected the content): error: Patient.birthDate: Invalid date 1980-13-01; fatal: Database rolled back", ""},
		{400, nil, "", false, "400 Bad Request", ""},
		{301, map[string]string{"Location": "/r5"}, "", false, "301 Moved Permanently: the server redirects to /r5; redirects are not followed (a POST would become a GET): set url to the FHIR server's base URL", ""},
		{429, map[string]string{"Retry-After": "30"}, "", false, "", "FHIR server answered 429 Too Many Requests; it asks to retry in 30s"},
		{503, nil, "", false, "", "FHIR server answered 503 Service Unavailable; the delivery will be retried per the destination's retry policy"},
	} {
		status, hdr, body = tc.status, tc.hdr, tc.body
		resp, err := d.Send(context.Background(), outbound(t, adt("H1"), 1, 1))
		if resp.OK != tc.ok || resp.Text != tc.text || resp.Code != strconv.Itoa(tc.status) || string(resp.Raw) != tc.body {
			t.Errorf("%d: OK %v, code %q, text %q, raw %q", tc.status, resp.OK, resp.Code, resp.Text, resp.Raw)
		}
		if (err == nil) != (tc.err == "") || err != nil && !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("%d: error %v, want %q", tc.status, err, tc.err)
		}
	}
	if n := len(srv.requests()); n != 8 {
		t.Errorf("%d requests: a redirect was followed", n)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"0", now},
		{"120", now.Add(2 * time.Minute)},
		{" 5 ", now.Add(5 * time.Second)},
		{"Sun, 01 Mar 2026 12:05:00 GMT", now.Add(5 * time.Minute)},
		{"-3", time.Time{}},
		{"1.5", time.Time{}},
		{"99999999999", time.Time{}},
		{"tomorrow", time.Time{}},
	} {
		if got := retryAfter(tc.in, now); !got.Equal(tc.want) {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestIssuesBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"resourceType":"OperationOutcome","issue":[`)
	for i := range 25 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"severity":"error","code":"invalid"}`)
	}
	b.WriteString("]}")
	resp, _ := judge(400, nil, []byte(b.String()), false, time.Now())
	want := "400 Bad Request: " + strings.Repeat("error: issue code invalid; ", 10) + "and 15 more"
	if resp.Text != want {
		t.Errorf("text %q\nwant %q", resp.Text, want)
	}
}

func header(m map[string]string) http.Header {
	h := http.Header{}
	for k, v := range m {
		h.Set(k, v)
	}
	return h
}
