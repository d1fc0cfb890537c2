package fhir

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// FuzzJudge feeds arbitrary answers to the judgement of a response: it never panics, only a
// 2xx delivers, a refusal always says why, and the body is kept as it came.
func FuzzJudge(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
		retry  string
	}{
		{200, txOK, ""}, {200, txFailed, ""}, {200, batchFailed, ""}, {200, ooError, ""}, {200, ooInfo, ""},
		{200, msgFatal, ""}, {200, msgTransient, ""}, {201, collectionEcho, ""}, {422, ooError, ""},
		{429, "", "120"}, {503, "", "Sun, 01 Mar 2026 12:05:00 GMT"}, {302, "", ""}, {100, "", ""},
		{200, `{"resourceType":"Bundle","type":"batch-response","entry":[{"response":null},{"resource":{"resourceType":"OperationOutcome","issue":[{}]}}]}`, ""},
		{200, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","details":{"coding":[{"code":"x"}]}}]}`, ""},
		{200, `{"resourceType":1}`, ""}, {200, `[]`, ""}, {200, `{`, ""},
	} {
		f.Add(s.status, []byte(s.body), s.retry)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, body []byte, retry string) {
		h := http.Header{}
		h.Set("Retry-After", retry)
		resp, err := judge(status, h, body, false, now)
		if resp.OK && (err != nil || status < 200 || status > 299) {
			t.Fatalf("status %d delivered (err %v)", status, err)
		}
		if err == nil && !resp.OK && resp.Text == "" {
			t.Fatalf("status %d refused without a reason", status)
		}
		var te *TransientError
		if err != nil && !errors.As(err, &te) {
			t.Fatalf("error %T", err)
		}
		if te != nil && te.Wait < 0 {
			t.Fatalf("negative wait %v", te.Wait)
		}
		if string(resp.Raw) != string(body) {
			t.Fatalf("body changed")
		}
	})
}
