// Package fhir is the FHIR destination: it converts each HL7 v2 message to a FHIR R4 Bundle
// (with the public fhir package) and POSTs it to a FHIR server over HTTPS, with bearer, basic
// or mutual TLS authentication. The server's answer decides the delivery: an OperationOutcome
// with an error, or a transaction-response entry that failed, is a refusal even under a 2xx
// status.
package fhir

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	fhirpkg "github.com/courier-hl7/courier/fhir"
	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/transform"
)

const (
	fieldURL            = "url"
	fieldBundle         = transform.KeyFHIRBundle
	fieldAuth           = "auth"
	fieldBearer         = "bearer"
	fieldToken          = "token"
	fieldBasic          = "basic"
	fieldUsername       = "username"
	fieldPassword       = "password"
	fieldTLS            = "tls"
	fieldCA             = "ca"
	fieldCert           = "cert"
	fieldKey            = "key"
	fieldServerName     = "server_name"
	fieldMinVersion     = "min_version"
	fieldRequestTimeout = "request_timeout"
	fieldConnectTimeout = "connect_timeout"
	fieldHeaders        = "headers"
	fieldPrefer         = "prefer"
	fieldMaxResponse    = "max_response_size"
	fieldProxyEnv       = "proxy_from_environment"
	fieldAllowInsecure  = "allow_insecure"
)

// Media types. FHIR R4 names application/fhir+json the JSON format's type
// (https://hl7.org/fhir/R4/http.html#mime-type).
const (
	mediaFHIRJSON = "application/fhir+json"
	userAgent     = "Courier"
)

// Spec describes the FHIR destination.
func Spec() config.Spec {
	return config.Spec{
		Name:    "fhir",
		Summary: "Converts each message to a FHIR R4 Bundle and POSTs it to a FHIR server (bearer, basic or mutual TLS authentication).",
		Description: "Each message is converted to a FHIR R4 Bundle by Courier's v2-to-FHIR converter (docs/fhir.md; the " +
			"options `bundle`, `namespace`, `time_zone`, `identifier_systems`, `code_systems` and `source_endpoint` are " +
			"the converter's). A message that a `fhir` step of this destination already converted " +
			"(content type `application/fhir+json`) is posted as it is, to the address its own `resourceType` and " +
			"`type` call for. A message that does not parse, or whose type the converter does not map, fails on every " +
			"attempt: the error says so, and an operator skips it (or a filter keeps such messages away).\n\n" +
			"Where the Bundle goes follows the FHIR R4 RESTful API (https://hl7.org/fhir/R4/http.html): a `transaction` " +
			"or `batch` Bundle is POSTed to the base URL itself (`POST [base]`, http.html#transaction); a `message` " +
			"Bundle to `[base]/$process-message` (the $process-message operation, " +
			"https://hl7.org/fhir/R4/messaging.html#process); a `collection` Bundle is created as a resource, " +
			"`POST [base]/Bundle` (http.html#create). A " +
			"pre-converted resource that is not a Bundle is created at `[base]/[resourceType]`.\n\n" +
			"Every request carries `Content-Type` and `Accept: application/fhir+json`, `Prefer: return=...` (see " +
			"`prefer`), and `X-Request-Id: courier-<message>-<entry>` and `X-Correlation-Id: courier-<message>`, which " +
			"stay the same when an attempt is retried, so the server's logs can match a resend to its first try. " +
			"Transaction and batch Bundles are idempotent: every entry is `PUT Type/id` with an id derived from the " +
			"message's business identifiers, so a retry after a lost answer updates the same resources instead of " +
			"creating new ones. A message (`$process-message`, which FHIR declares not idempotent) or a collection " +
			"(`POST [base]/Bundle`, which creates a new Bundle each time) may be stored twice by a retry after a lost " +
			"answer.\n\n" +
			"The answer decides the delivery. 2xx delivers the message, unless its body is an OperationOutcome with an " +
			"issue of severity `error` or `fatal`, a transaction-response or batch-response Bundle with an entry whose " +
			"status is not 2xx or whose outcome has such an issue, or a response message whose " +
			"MessageHeader.response.code is `fatal-error`: these are refusals, with the diagnostics as the response's " +
			"text. Other 4xx (400, 401, 403, 404, 409, 412, 422...) are refusals too, with the status and the " +
			"OperationOutcome's diagnostics; 3xx is a refusal (redirects are not followed: a POST must not turn into " +
			"a GET). 408, 429, 5xx, a `transient-error` response message, connection failures and timeouts are " +
			"errors. Both kinds are retried per the destination's `retry` policy; a `Retry-After` header is quoted in " +
			"the error. The status is stored as the response code (`201`), the body (up to `max_response_size`) as " +
			"the response. Debug logs show each request's status, URL path, duration and request id; no log shows a " +
			"body or a credential.\n\n" +
			"Credentials are never sent over plain `http://` unless `allow_insecure: true`, and plain `http://` to a " +
			"host other than the loopback interface (`localhost`, 127.0.0.0/8, ::1) needs `allow_insecure: true` as " +
			"well, since every request carries patient data. HTTPS uses TLS 1.2 or later, verifies the server's name, " +
			"and presents a client certificate when `tls.cert` is set (mutual TLS). Each destination has its own " +
			"connection pool; proxies from the environment (HTTPS_PROXY...) are ignored unless " +
			"`proxy_from_environment: true`.",
		Fields: withConversion([]config.Field{
			{Name: fieldURL, Type: config.String, Required: true,
				Description: "Base URL of the FHIR server's R4 endpoint (`[base]` in the FHIR specification), without a query or credentials.",
				Example:     "https://fhir.hospital.example/r4"},
			{Name: fieldAuth, Type: config.Object,
				Description: "Credentials sent with every request: `bearer` or `basic`, not both. Give secrets with `${file:PATH}` or `${env:NAME}` rather than in the file. For mutual TLS, set `tls.cert` and `tls.key` instead (or as well).",
				Example:     map[string]any{fieldBearer: map[string]any{fieldToken: "${file:/run/secrets/fhir-token}"}},
				Fields: []config.Field{
					{Name: fieldBearer, Type: config.Object, Description: "OAuth 2.0 bearer token (`Authorization: Bearer ...`), such as a long-lived SMART backend service token.",
						Example: map[string]any{fieldToken: "${env:FHIR_TOKEN}"},
						Fields: []config.Field{
							{Name: fieldToken, Type: config.String, Default: "", Secret: true, Description: "The token.", Example: "${file:/run/secrets/fhir-token}"},
						}},
					{Name: fieldBasic, Type: config.Object, Description: "HTTP basic authentication (`Authorization: Basic ...`).",
						Example: map[string]any{fieldUsername: "courier", fieldPassword: "${env:FHIR_PASSWORD}"},
						Fields: []config.Field{
							{Name: fieldUsername, Type: config.String, Default: "", Description: "User name; it cannot contain `:`.", Example: "courier"},
							{Name: fieldPassword, Type: config.String, Default: "", Secret: true, Description: "Password.", Example: "${env:FHIR_PASSWORD}"},
						}},
				}},
			{Name: fieldTLS, Type: config.Object,
				Description: "TLS settings of an https URL. Without them the system's roots verify the server and no client certificate is sent.",
				Example:     map[string]any{fieldCA: []any{"/etc/courier/tls/fhir-ca.pem"}, fieldCert: "/etc/courier/tls/courier.crt", fieldKey: "/etc/courier/tls/courier.key"},
				Fields: []config.Field{
					{Name: fieldCA, Type: config.List, Elem: &config.Field{Type: config.String}, Description: "PEM files of the CAs that sign the server's certificate. Empty: the system's roots.", Example: []any{"/etc/courier/tls/fhir-ca.pem"}},
					{Name: fieldCert, Type: config.String, Default: "", Description: "PEM client certificate, for servers that require one (mutual TLS). Read again when the file changes, without a restart.", Example: "/etc/courier/tls/courier.crt"},
					{Name: fieldKey, Type: config.String, Default: "", Description: "PEM private key of the client certificate.", Example: "/etc/courier/tls/courier.key"},
					{Name: fieldServerName, Type: config.String, Default: "", Description: "Name to verify in the server's certificate. Default: the URL's host. Verification is never turned off.", Example: "fhir.hospital.example"},
					{Name: fieldMinVersion, Type: config.String, Default: "1.2", Enum: []string{"1.2", "1.3"}, Description: "Oldest TLS version accepted. TLS 1.0 and 1.1 are never accepted.", Example: "1.3"},
				}},
			{Name: fieldRequestTimeout, Type: config.Duration, Default: "30s", Min: config.Bound(0.001),
				Description: "Longest time one POST may take, from connecting to the end of the response. The destination's `timeout` bounds the whole attempt as well: the shorter wins.",
				Example:     "10s"},
			{Name: fieldConnectTimeout, Type: config.Duration, Default: "10s", Min: config.Bound(0.001),
				Description: "Longest wait to connect, and again for the TLS handshake.",
				Example:     "5s"},
			{Name: fieldHeaders, Type: config.Map, Elem: &config.Field{Type: config.String, Secret: true},
				Description: "Extra headers sent with every request, such as an API gateway's key. Values are redacted when the configuration is printed. Headers the destination sets itself (Content-Type, Accept, Authorization, X-Request-Id...) cannot be given: use `auth` for credentials.",
				Example:     map[string]any{"X-Api-Key": "${env:FHIR_GATEWAY_KEY}"}},
			{Name: fieldPrefer, Type: config.String, Default: "minimal", Enum: []string{"minimal", "representation", "OperationOutcome"},
				Description: "`Prefer: return=...` (http.html#ops): `minimal` asks for the status of each entry only, which keeps stored responses small; `representation` for the stored resources; `OperationOutcome` for the server's hints and warnings. Not sent with message Bundles.",
				Example:     "OperationOutcome"},
			{Name: fieldMaxResponse, Type: config.Size, Default: "1MiB", Min: config.Bound(1024), Max: config.Bound(1 << 30),
				Description: "Most of a response that is read and stored. A longer response is cut; it is then judged by its status alone (a batch-response's entries cannot be checked), and a warning is logged.",
				Example:     "4MiB"},
			{Name: fieldProxyEnv, Type: config.Bool, Default: false, Advanced: true,
				Description: "Use the proxy that HTTPS_PROXY, HTTP_PROXY and NO_PROXY name. Off by default, so that a proxy set for other tools does not see patient data.",
				Example:     true},
			{Name: fieldAllowInsecure, Type: config.Bool, Default: false, Advanced: true,
				Description: "Allow a plain `http://` URL to a host other than the loopback interface, and credentials over plain `http://`. Both send patient data (and the credentials) unencrypted: use it only on a network you trust, such as a sidecar proxy's.",
				Example:     true},
		}),
		Examples: []string{
			"type: fhir\nurl: https://fhir.hospital.example/r4\n" +
				"auth:\n  bearer:\n    token: ${file:secrets/fhir-token}\n" +
				"identifier_systems:\n  GH: http://hospital.example.org/mrn\n" +
				"time_zone: Europe/Paris\n",
			"type: fhir\nurl: https://fhir.lab.example/fhir\nbundle: batch\n" +
				"tls:\n  ca: [tls/fhir-ca.pem]\n  cert: tls/courier.crt\n  key: tls/courier.key\n" +
				"request_timeout: 10s\nmax_response_size: 4MiB\n",
			"type: fhir\nurl: https://gateway.example/fhir/r4\nbundle: message\n" +
				"auth:\n  basic:\n    username: courier\n    password: ${env:FHIR_PASSWORD}\n" +
				"headers:\n  X-Api-Key: ${env:FHIR_GATEWAY_KEY}\n",
			"type: fhir\nurl: http://127.0.0.1:8081/fhir\nbundle: collection\n",
		},
	}
}

func init() {
	connector.MustRegisterDestination(Spec(), New)
}

// New builds a FHIR destination from its configuration. Every problem of the configuration
// is reported at once, each at its position.
func New(n *config.Node, deps connector.Deps) (connector.Destination, error) {
	var errs config.Errors
	d := &destination{
		bundleType: n.String(fieldBundle),
		timeout:    n.Duration(fieldRequestTimeout),
		maxResp:    n.Size(fieldMaxResponse),
		log:        deps.Logger,
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.log = d.log.With("type", "fhir") // the destination's name comes with deps.Logger
	if n.String(fieldPrefer) != "" && d.bundleType != fhirpkg.BundleMessage {
		d.prefer = "return=" + n.String(fieldPrefer)
	}

	u, insecure := parseBase(n, &errs)
	if u != nil {
		d.base = strings.TrimSuffix(u.String(), "/")
		d.path = strings.TrimSuffix(u.EscapedPath(), "/")
	}
	d.authz = authorization(n, insecure, &errs)
	d.headers = extraHeaders(n, &errs)
	d.conv = transform.FHIRConverter(n, &errs)
	tr := transport(n, u, deps.BaseDir, &errs)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	d.transport = tr
	d.client = &http.Client{
		Transport: tr,
		// A redirect is answered, not followed: Go would turn a 301/302/303 to a POST into a
		// GET, whose 200 would then count as a delivery.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return d, nil
}

// destination posts Bundles to one FHIR server.
type destination struct {
	base       string // the base URL, without a trailing slash
	path       string // its path, for logs
	bundleType string
	conv       *fhirpkg.Converter
	authz      string // the Authorization header; never logged
	headers    http.Header
	prefer     string
	timeout    time.Duration
	maxResp    int64
	client     *http.Client
	transport  *http.Transport
	log        *slog.Logger
}

var _ connector.Destination = (*destination)(nil)

// Send implements connector.Destination: it converts the message (unless a step already did),
// POSTs it and judges the answer.
func (d *destination) Send(ctx context.Context, out *connector.Outbound) (connector.Response, error) {
	body, suffix, err := d.payload(out)
	if err != nil {
		return connector.Response{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	note := &handshakeNote{}
	ctx = context.WithValue(ctx, noteKey{}, note)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.base+suffix, bytes.NewReader(body))
	if err != nil {
		return connector.Response{}, fmt.Errorf("fhir request: %w", err)
	}
	req.Header = d.headers.Clone()
	req.Header.Set("Content-Type", mediaFHIRJSON)
	req.Header.Set("Accept", mediaFHIRJSON)
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("X-Request-Id", fmt.Sprintf("courier-%d-%d", out.MessageID, out.EntryID))
	req.Header.Set("X-Correlation-Id", fmt.Sprintf("courier-%d", out.MessageID))
	if d.prefer != "" && suffix != processMessage {
		req.Header.Set("Prefer", d.prefer)
	}
	if d.authz != "" {
		req.Header.Set("Authorization", d.authz)
	}

	started := time.Now()
	path := cmp.Or(d.path+suffix, "/")
	log := d.log.With("path", path, "request_id", req.Header.Get("X-Request-Id"), "message", out.MessageID, "control_id", out.Meta.ControlID)
	res, err := d.client.Do(req)
	if err != nil {
		log.Debug("fhir post failed", "duration", time.Since(started), "attempt", out.Attempt)
		return connector.Response{}, d.transportError(ctx, path, note, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, d.maxResp+1))
	if err != nil {
		log.Debug("fhir response unreadable", "status", res.StatusCode, "duration", time.Since(started))
		return connector.Response{Code: strconv.Itoa(res.StatusCode), Raw: raw}, d.transportError(ctx, path, note, fmt.Errorf("read response: %w", err))
	}
	cut := int64(len(raw)) > d.maxResp
	if cut {
		raw = raw[:d.maxResp]
		log.Warn("fhir response cut at max_response_size: judged by its status alone", "status", res.StatusCode, "max_response_size", d.maxResp)
	}
	log.Debug("fhir post", "status", res.StatusCode, "duration", time.Since(started), "bytes_sent", len(body), "bytes_received", len(raw), "attempt", out.Attempt)
	return judge(res.StatusCode, res.Header, raw, cut, time.Now())
}

// Suffixes of the base URL, by what is posted (https://hl7.org/fhir/R4/http.html).
const (
	processMessage = "/$process-message" // messaging.html#process
	createBundle   = "/Bundle"           // http.html#create
)

// endpoint returns the suffix of the base URL that a resource of this type (and, for a
// Bundle, of this Bundle type) is POSTed to.
func endpoint(resourceType, bundleType string) string {
	if resourceType != "Bundle" {
		return "/" + resourceType
	}
	switch bundleType {
	case fhirpkg.BundleTransaction, fhirpkg.BundleBatch:
		return "" // POST [base], http.html#transaction
	case fhirpkg.BundleMessage:
		return processMessage
	}
	return createBundle
}

// payload returns the JSON to post and the suffix of the base URL to post it to.
func (d *destination) payload(out *connector.Outbound) ([]byte, string, error) {
	if out.ContentType != "" {
		mt, _, err := mime.ParseMediaType(out.ContentType)
		if err != nil || mt != mediaFHIRJSON {
			return nil, "", &ConvertError{MessageID: out.MessageID, Reason: fmt.Sprintf(
				"the destination's steps turned it into %q, which is not FHIR JSON; this destination converts HL7 v2 itself, or posts what a `fhir` step made (application/fhir+json)", out.ContentType)}
		}
		var head struct {
			ResourceType string `json:"resourceType"`
			Type         string `json:"type"`
		}
		if err := json.Unmarshal(out.Content, &head); err != nil {
			return nil, "", &ConvertError{MessageID: out.MessageID, Reason: "its content is labelled application/fhir+json but is not JSON", Err: err}
		}
		if !validResourceType(head.ResourceType) {
			return nil, "", &ConvertError{MessageID: out.MessageID, Reason: fmt.Sprintf("its content is labelled application/fhir+json but has no valid resourceType (got %q)", truncate(head.ResourceType, 64))}
		}
		return out.Content, endpoint(head.ResourceType, head.Type), nil
	}
	if out.Message == nil {
		return nil, "", &ConvertError{MessageID: out.MessageID, Reason: "it does not parse as an HL7 v2 message, so there is nothing to convert"}
	}
	js, err := d.conv.AppendJSON(nil, out.Message)
	if err != nil {
		return nil, "", &ConvertError{MessageID: out.MessageID, Reason: "the FHIR converter cannot map it", Err: err}
	}
	return js, endpoint("Bundle", d.bundleType), nil
}

// validResourceType accepts the shape of FHIR resource type names, which then become a path
// segment: a capital letter and letters.
func validResourceType(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// ConvertError reports a message that cannot become a FHIR request. Retrying cannot help: the
// same message fails the same way on every attempt, so it holds its queue (or, with
// on_give_up: continue, ends in error) until an operator skips it.
type ConvertError struct {
	MessageID int64
	Reason    string
	Err       error // the converter's error, when there is one (test with errors.Is against fhir.ErrUnsupported)
}

func (e *ConvertError) Error() string {
	s := fmt.Sprintf("message %d cannot be sent to the FHIR server: %s", e.MessageID, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s + "; every retry will fail the same way: skip the message in the dashboard, or keep such messages away from this destination with a filter"
}

// Unwrap returns the converter's error.
func (e *ConvertError) Unwrap() error { return e.Err }

// transportError explains a request that got no answer.
func (d *destination) transportError(ctx context.Context, path string, note *handshakeNote, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("post %s: no answer within %v (request_timeout, or the destination's timeout if shorter): %w", path, d.timeout, err)
	}
	if hint := tlsHint(err, note); hint != "" {
		return fmt.Errorf("post %s: %s: %w", path, hint, err)
	}
	return fmt.Errorf("post %s: %w", path, err)
}

// Close implements connector.Destination: it closes the idle connections.
func (d *destination) Close(context.Context) error {
	if d.transport != nil {
		d.transport.CloseIdleConnections()
	}
	return nil
}

// String describes the destination, without credentials.
func (d *destination) String() string {
	return fmt.Sprintf("FHIR %s Bundles to %s", d.bundleType, d.base)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// authorization returns the Authorization header that auth describes, or "".
func authorization(n *config.Node, insecure bool, errs *config.Errors) string {
	a := n.Object(fieldAuth)
	bearer, basic := a.Object(fieldBearer), a.Object(fieldBasic)
	hasBearer, hasBasic := a.Has(fieldBearer), a.Has(fieldBasic)
	if hasBearer && hasBasic {
		*errs = append(*errs, a.Errorf(fieldBasic, "give either bearer or basic, not both: a request carries one Authorization header"))
		return ""
	}
	var h string
	switch {
	case hasBearer:
		tok := bearer.String(fieldToken)
		switch {
		case tok == "":
			*errs = append(*errs, bearer.Errorf(fieldToken, "the bearer token is empty: set token (with ${file:PATH} or ${env:NAME})"))
		case !validHeaderValue(tok) || strings.ContainsAny(tok, " \t"):
			*errs = append(*errs, bearer.Errorf(fieldToken, "the bearer token holds spaces or control characters (a stray line end in its file?)"))
		default:
			h = "Bearer " + tok
		}
	case hasBasic:
		user, pass := basic.String(fieldUsername), basic.String(fieldPassword)
		switch {
		case user == "":
			*errs = append(*errs, basic.Errorf(fieldUsername, "basic authentication needs a username"))
		case strings.Contains(user, ":"):
			*errs = append(*errs, basic.Errorf(fieldUsername, "the username cannot contain `:` (RFC 7617)"))
		case !validHeaderValue(user) || !validHeaderValue(pass):
			*errs = append(*errs, basic.Errorf(fieldPassword, "the username or password holds control characters (a stray line end in its file?)"))
		default:
			h = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
		}
	}
	if (hasBearer || hasBasic) && insecure && !n.Bool(fieldAllowInsecure) {
		*errs = append(*errs, n.Errorf(fieldURL, "auth would send credentials unencrypted over http://: use an https URL, or set allow_insecure: true (only on a network you trust)"))
	}
	return h
}

// reserved are the headers the destination sets itself.
var reserved = []string{"Accept", "Authorization", "Connection", "Content-Length", "Content-Type", "Host",
	"Prefer", "Proxy-Authorization", "Transfer-Encoding", "User-Agent", "X-Correlation-Id", "X-Request-Id"}

// extraHeaders checks and returns the `headers` map.
func extraHeaders(n *config.Node, errs *config.Errors) http.Header {
	h := http.Header{}
	entries, values := n.Map(fieldHeaders), n.StringMap(fieldHeaders)
	for _, k := range n.MapKeys(fieldHeaders) {
		e, v := entries[k], values[k]
		ck := http.CanonicalHeaderKey(k)
		switch {
		case !validHeaderName(k):
			*errs = append(*errs, e.Errorf("", "%q is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~)", truncate(k, 64)))
		case containsFold(reserved, ck):
			what := "the destination sets it itself"
			if ck == "Authorization" || ck == "Proxy-Authorization" {
				what = "set credentials with auth (bearer or basic)"
			}
			*errs = append(*errs, e.Errorf("", "header %s cannot be set here: %s", ck, what))
		case !validHeaderValue(v):
			*errs = append(*errs, e.Errorf("", "the value of header %s holds control characters", ck))
		default:
			h.Set(ck, v)
		}
	}
	return h
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// validHeaderValue rejects the control characters that would split or end a header.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// withConversion puts the conversion options, which the fhir step has too, after the first
// of fields (the URL), and says how the bundle type picks the address.
func withConversion(fields []config.Field) []config.Field {
	conv := transform.FHIRFields()
	for i := range conv {
		if conv[i].Name == fieldBundle {
			conv[i].Description = "Bundle type to convert to, which also picks the address (see above). " +
				strings.TrimPrefix(conv[i].Description, "Bundle type to convert to. ")
		}
	}
	return append(append(fields[:1:1], conv...), fields[1:]...)
}
