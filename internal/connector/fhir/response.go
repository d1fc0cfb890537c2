package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/courier-hl7/courier/internal/connector"
)

// maxIssues bounds how many problems a response's text lists.
const maxIssues = 10

// resource holds the parts of a FHIR resource that tell whether a request succeeded: an
// OperationOutcome's issues, a response Bundle's entries, a MessageHeader's response. Only
// these are decoded; everything else in the body is skipped.
type resource struct {
	ResourceType string     `json:"resourceType"`
	ID           string     `json:"id"`
	Type         string     `json:"type"`  // Bundle.type
	Issue        []issue    `json:"issue"` // OperationOutcome.issue
	Entry        []entry    `json:"entry"` // Bundle.entry
	Response     *msgAnswer `json:"response"`
}

type issue struct {
	Severity    string   `json:"severity"`
	Code        string   `json:"code"`
	Diagnostics string   `json:"diagnostics"`
	Details     *concept `json:"details"`
	Expression  []string `json:"expression"`
	Location    []string `json:"location"`
}

type concept struct {
	Text   string `json:"text"`
	Coding []struct {
		Code    string `json:"code"`
		Display string `json:"display"`
	} `json:"coding"`
}

type entry struct {
	FullURL  string    `json:"fullUrl"`
	Resource *resource `json:"resource"`
	Response *struct {
		Status   string    `json:"status"`
		Location string    `json:"location"`
		Outcome  *resource `json:"outcome"`
	} `json:"response"`
}

// msgAnswer is MessageHeader.response: the outcome of the message a response message answers
// (https://hl7.org/fhir/R4/valueset-response-code.html).
type msgAnswer struct {
	Code string `json:"code"` // ok | transient-error | fatal-error
}

// TransientError reports an answer that asks to try again later: 408, 429, a 5xx, or a
// response message with transient-error. The engine retries it per the destination's retry
// policy; RetryAfter is what the server asked for, quoted in the error's text.
type TransientError struct {
	Status     int           // the HTTP status
	RetryAfter time.Time     // when the server's Retry-After says to try again; zero if it did not say
	Wait       time.Duration // RetryAfter less the time of the answer (not below zero)
	Detail     string        // the OperationOutcome's diagnostics, or a description of the answer
}

func (e *TransientError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "FHIR server answered %d %s", e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if !e.RetryAfter.IsZero() {
		fmt.Fprintf(&b, "; it asks to retry in %v, at %s (Retry-After)", e.Wait, e.RetryAfter.UTC().Format(time.RFC3339))
	}
	b.WriteString("; the delivery will be retried per the destination's retry policy")
	return b.String()
}

// judge turns the server's answer into a Response, or a *TransientError for answers that say
// "later". cut reports that body is only the start of a longer response.
func judge(status int, h http.Header, body []byte, cut bool, now time.Time) (connector.Response, error) {
	resp := connector.Response{Code: strconv.Itoa(status), Raw: body}
	var res *resource
	if !cut {
		res = parse(body)
	}
	switch {
	case status >= 200 && status <= 299:
		if res != nil && res.ResourceType == "Bundle" && res.Type == "message" {
			switch code := messageCode(res); code {
			case "transient-error":
				return resp, &TransientError{Status: status, Detail: join("the response message says transient-error", problems(res))}
			case "fatal-error":
				resp.Text = join(fmt.Sprintf("%d %s, but the response message says fatal-error (the message was rejected: resending it unchanged will not help)", status, http.StatusText(status)), problems(res))
				return resp, nil
			}
		}
		if p := problems(res); len(p) > 0 {
			resp.Text = join(fmt.Sprintf("%d %s, but the answer reports errors", status, http.StatusText(status)), p)
			return resp, nil
		}
		resp.OK = true
		return resp, nil
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500 && status <= 599:
		e := &TransientError{Status: status, RetryAfter: retryAfter(h.Get("Retry-After"), now), Detail: strings.Join(problems(res), "; ")}
		if !e.RetryAfter.IsZero() {
			// Rounded up: an HTTP date has whole seconds, and waiting a little longer
			// than asked is what the header means.
			e.Wait = max((e.RetryAfter.Sub(now) + time.Second - 1).Truncate(time.Second), 0)
		}
		return resp, e
	case status >= 300 && status <= 399:
		where := h.Get("Location")
		if where == "" {
			where = "no Location given"
		}
		resp.Text = fmt.Sprintf("%d %s: the server redirects to %s; redirects are not followed (a POST would become a GET): set url to the FHIR server's base URL",
			status, http.StatusText(status), truncate(where, 512))
		return resp, nil
	case status >= 400 && status <= 499:
		head := fmt.Sprintf("%d %s", status, http.StatusText(status))
		if hint := statusHint(status); hint != "" {
			head += " (" + hint + ")"
		}
		resp.Text = join(head, problems(res))
		return resp, nil
	}
	return resp, &TransientError{Status: status, Detail: "not a final HTTP status"}
}

// statusHint says what a refusal usually means for a FHIR destination.
func statusHint(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "the credentials were refused: check auth"
	case http.StatusForbidden:
		return "the credentials lack the rights to write these resources"
	case http.StatusNotFound:
		return "no FHIR endpoint at this address, or a resource type the server does not support: check url"
	case http.StatusMethodNotAllowed:
		return "the server does not accept this interaction at this address: check url and bundle"
	case http.StatusRequestEntityTooLarge:
		return "the Bundle is larger than the server accepts"
	case http.StatusUnsupportedMediaType:
		return "the server does not accept application/fhir+json"
	case http.StatusConflict, http.StatusPreconditionFailed:
		return "a version conflict on the server"
	case http.StatusUnprocessableEntity:
		return "the server's validation rejected the content"
	}
	return ""
}

// parse decodes body as a FHIR JSON resource, or returns nil when it is not one.
func parse(body []byte) *resource {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	var r resource
	if err := json.Unmarshal(b, &r); err != nil || r.ResourceType == "" {
		return nil
	}
	return &r
}

// problems returns the errors an answer reports: error and fatal issues of an
// OperationOutcome; failed entries of a response Bundle; OperationOutcomes with errors inside
// a response message.
func problems(r *resource) []string {
	if r == nil {
		return nil
	}
	var out []string
	switch r.ResourceType {
	case "OperationOutcome":
		out = errorIssues(r)
	case "Bundle":
		if r.Type != "transaction-response" && r.Type != "batch-response" && r.Type != "message" {
			// Any other Bundle is content (a created collection echoed back), not an answer.
			break
		}
		for i, e := range r.Entry {
			var msgs []string
			failed := false
			if e.Response != nil {
				if s := strings.TrimSpace(e.Response.Status); s != "" && !strings.HasPrefix(s, "2") {
					failed = true
				}
				msgs = errorIssues(e.Response.Outcome)
			}
			if e.Resource != nil && e.Resource.ResourceType == "OperationOutcome" {
				msgs = append(msgs, errorIssues(e.Resource)...)
			}
			if !failed && len(msgs) == 0 {
				continue
			}
			what := fmt.Sprintf("entry %d", i+1)
			if e.Response != nil && e.Response.Status != "" {
				what += " (" + truncate(strings.TrimSpace(e.Response.Status), 64) + ")"
			}
			if len(msgs) == 0 {
				msgs = []string{"failed"}
			}
			out = append(out, what+": "+strings.Join(msgs, "; "))
		}
	}
	if len(out) > maxIssues {
		out = append(out[:maxIssues:maxIssues], fmt.Sprintf("and %d more", len(out)-maxIssues))
	}
	return out
}

// errorIssues describes the issues of severity error or fatal of an OperationOutcome.
func errorIssues(r *resource) []string {
	if r == nil {
		return nil
	}
	var out []string
	for _, is := range r.Issue {
		if is.Severity != "error" && is.Severity != "fatal" {
			continue
		}
		text := is.Diagnostics
		if text == "" && is.Details != nil {
			text = is.Details.Text
			for _, c := range is.Details.Coding {
				if text == "" {
					text = strings.TrimSpace(c.Display + " " + c.Code)
				}
			}
		}
		if text == "" {
			text = "issue code " + is.Code
		}
		where := is.Expression
		if len(where) == 0 {
			where = is.Location
		}
		if len(where) > 0 {
			text = strings.Join(where, ", ") + ": " + text
		}
		out = append(out, truncate(is.Severity+": "+text, 1024))
	}
	return out
}

// messageCode returns MessageHeader.response.code of a response message, or "".
func messageCode(r *resource) string {
	for _, e := range r.Entry {
		if e.Resource != nil && e.Resource.ResourceType == "MessageHeader" && e.Resource.Response != nil {
			return e.Resource.Response.Code
		}
	}
	return ""
}

// retryAfter reads a Retry-After header: a number of seconds or an HTTP date (RFC 9110
// section 10.2.3). It returns the zero time for a missing or unreadable value.
func retryAfter(v string, now time.Time) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return now.Add(time.Duration(secs) * time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return t
	}
	return time.Time{}
}

func join(head string, details []string) string {
	if len(details) == 0 {
		return head
	}
	return head + ": " + strings.Join(details, "; ")
}
