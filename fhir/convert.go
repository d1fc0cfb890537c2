package fhir

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/courier-hl7/courier/hl7"
)

// Bundle types.
const (
	BundleTransaction = "transaction"
	BundleMessage     = "message"
	BundleCollection  = "collection"
	BundleBatch       = "batch"
)

// Options configure a Converter. The zero Options are usable: transaction Bundles, ids in
// DefaultNamespace, times without an offset read as UTC.
type Options struct {
	// Namespace is the UUID namespace of the name-based (version 5) resource ids. Two
	// channels that must not share ids use different namespaces. Empty means
	// DefaultNamespace.
	Namespace string
	// BundleType is "transaction" (the default; every entry is a PUT of Type/id, so
	// replaying a message updates the same resources), "batch" (the same PUTs, no
	// atomicity), "message" (MessageHeader first, no requests) or "collection".
	BundleType string
	// Location is the zone of v2 times sent without an offset. Nil means UTC. Set it to the
	// sender's zone (time.LoadLocation("Europe/Paris")): v2 senders usually send local time.
	Location *time.Location
	// IdentifierSystems maps assigning authorities to identifier system URIs. The key is an
	// authority's namespace ID (CX.4.1, EI.2, XCN.9.1, XON.6.1) or its universal ID (CX.4.2,
	// EI.3, ...). An authority not in the map gets urn:oid:<universal ID> when its type
	// (CX.4.3) is ISO, urn:uuid:<universal ID> when UUID, and no system otherwise: the
	// converter never invents a URL. Its name is kept in Identifier.assigner either way.
	IdentifierSystems map[string]string
	// CodeSystems maps local v2 coding system names (CWE.3, such as "L" or "99ZZZ") to
	// code system URIs; names of HL7 table 0396 (LN, SCT, CVX, UCUM, I10, HL7nnnn...) are
	// known without it.
	CodeSystems map[string]string
	// SourceEndpoint is MessageHeader.source.endpoint, the address of the sending system
	// as this channel knows it. Empty means derived from MSH-3 (urn:oid: or urn:uuid:) or,
	// failing that, marked absent with the data-absent-reason extension.
	SourceEndpoint string
	// Transformer names the agent of the transformation Provenance. Empty means "Courier".
	Transformer string
}

// Converter turns v2 messages into FHIR R4 Bundles (Convert) or straight into their JSON
// (AppendJSON). It keeps no data of a message once the call returns, only reusable scratch,
// and is safe for concurrent use.
type Converter struct {
	ns          uuid
	bundleType  string
	loc         *time.Location
	idSystems   map[string]string
	codeSystems map[string]string
	source      string
	transformer string

	// pool keeps the scratch of conversions (see conv.release), so that a conversion
	// builds no index or buffers of its own; sync.Pool keeps the Converter safe for
	// concurrent use. bytesPool is the same for conversions to bytes (AppendJSON), whose
	// scratch also holds the slabs and entries, which no Bundle takes away.
	pool      sync.Pool
	bytesPool sync.Pool
	// jsonPerEntry is the size per entry of the last Bundle of this Converter written as
	// JSON: the next one allocates about that much at once, rather than too much or a
	// buffer that grows and is copied (see Bundle.JSON).
	jsonPerEntry atomic.Int64
}

// NewConverter checks opts and returns a Converter.
func NewConverter(opts Options) (*Converter, error) {
	c := &Converter{
		bundleType:  opts.BundleType,
		loc:         opts.Location,
		idSystems:   opts.IdentifierSystems,
		codeSystems: opts.CodeSystems,
		source:      opts.SourceEndpoint,
		transformer: opts.Transformer,
	}
	ns := opts.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	var err error
	if c.ns, err = parseUUID(ns); err != nil {
		return nil, fmt.Errorf("fhir: namespace: %w", err)
	}
	switch c.bundleType {
	case "":
		c.bundleType = BundleTransaction
	case BundleTransaction, BundleMessage, BundleCollection, BundleBatch:
	default:
		return nil, fmt.Errorf("fhir: bundle type %q: use transaction, message, collection or batch", opts.BundleType)
	}
	if c.loc == nil {
		c.loc = time.UTC
	}
	if c.transformer == "" {
		c.transformer = "Courier"
	}
	for k, v := range opts.IdentifierSystems {
		if !validURI(v) {
			return nil, fmt.Errorf("fhir: identifier system for %q: %q is not a URI", k, v)
		}
	}
	for k, v := range opts.CodeSystems {
		if !validURI(v) {
			return nil, fmt.Errorf("fhir: code system for %q: %q is not a URI", k, v)
		}
	}
	if c.source != "" && !validURI(c.source) {
		return nil, fmt.Errorf("fhir: source endpoint %q is not a URI", c.source)
	}
	return c, nil
}

// validURI accepts what FHIR's uri type accepts and looks like an absolute URI: a scheme,
// a colon and no white space.
func validURI(s string) bool {
	i := strings.IndexByte(s, ':')
	if i < 1 || i == len(s)-1 || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// supported lists the message types Convert maps, with the handler of each.
var supported = map[string]func(*conv){
	"ADT^A01": (*conv).adt, "ADT^A02": (*conv).adt, "ADT^A03": (*conv).adt, "ADT^A04": (*conv).adt,
	"ADT^A05": (*conv).adt, "ADT^A08": (*conv).adt, "ADT^A11": (*conv).adt, "ADT^A13": (*conv).adt,
	"ADT^A28": (*conv).adt, "ADT^A31": (*conv).adt, "ADT^A40": (*conv).merge,
	"ORU^R01": (*conv).results, "VXU^V04": (*conv).vaccination,
	"ORM^O01": (*conv).orders, "OML^O21": (*conv).orders,
	"MDM^T02": (*conv).document, "SIU^S12": (*conv).schedule,
}

// supportedKey maps each key of supported to itself, so that messageType can return the key
// for a type it found in a buffer.
var supportedKey = func() map[string]string {
	k := make(map[string]string, len(supported))
	for t := range supported {
		k[t] = t
	}
	return k
}()

// messageType returns MSH-9.1^MSH-9.2, each trimmed. For a supported type whose text has no
// escape sequence, the common case, it is the key of supported, found from the message's
// bytes without making a string.
func messageType(m *hl7.Message) string {
	msg := m.Segment(0).Field(9)
	t, g := msg.Comp(1).Raw(), msg.Comp(2).Raw()
	if e := m.Delimiters().Escape; e == 0 || bytes.IndexByte(t, e) < 0 && bytes.IndexByte(g, e) < 0 {
		var buf [64]byte
		b := append(append(append(buf[:0], bytes.TrimSpace(t)...), '^'), bytes.TrimSpace(g)...)
		if k, ok := supportedKey[string(b)]; ok {
			return k
		}
	}
	return strings.TrimSpace(m.Type()) + "^" + strings.TrimSpace(m.Trigger())
}

// Supported returns the message types (MSH-9.1^MSH-9.2) that Convert maps, sorted.
func Supported() []string {
	out := make([]string, 0, len(supported))
	for k := range supported {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ErrUnsupported is wrapped by UnsupportedError; test with errors.Is.
var ErrUnsupported = errors.New("message type not supported")

// UnsupportedError reports a message whose type has no mapping.
type UnsupportedError struct {
	Type string // MSH-9.1^MSH-9.2 as received
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("fhir: message type %q (MSH-9) not supported: the converter maps %s", e.Type, strings.Join(Supported(), ", "))
}

func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// ErrMissingSegment is wrapped by MessageError when a segment the mapping needs is absent.
var ErrMissingSegment = errors.New("required segment missing")

// MessageError reports a message that cannot be mapped, with where the problem is.
type MessageError struct {
	Type    string // MSH-9.1^MSH-9.2
	Segment string // segment name, such as "PID"
	Err     error
	Detail  string
}

func (e *MessageError) Error() string {
	s := fmt.Sprintf("fhir: %s: %s: %v", e.Type, e.Segment, e.Err)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *MessageError) Unwrap() error { return e.Err }

// Convert maps m to a Bundle. Messages of a type not in Supported return an
// *UnsupportedError. The same message always gives the same Bundle: ids are derived from the
// namespace and business identifiers in the message, and nothing reads the clock.
func (c *Converter) Convert(m *hl7.Message) (*Bundle, error) {
	cv, err := c.run(m, false)
	if err != nil {
		return nil, err
	}
	defer cv.release()
	return cv.finish(), nil
}

// run maps m, for Convert (direct false) or AppendJSON (direct true): both walk the message
// with the same handlers, so that they make the same resources. On success the caller
// releases the conv when it has taken what it needs from it.
func (c *Converter) run(m *hl7.Message, direct bool) (*conv, error) {
	if m == nil || m.NumSegments() == 0 {
		return nil, &MessageError{Segment: "MSH", Err: ErrMissingSegment}
	}
	typ := messageType(m)
	h, ok := supported[typ]
	if !ok {
		return nil, &UnsupportedError{Type: typ}
	}
	cv := c.newConv(m, typ, direct)
	cv.header()
	if cv.needPatient() {
		if _, ok := m.First("PID"); !ok {
			cv.release()
			return nil, &MessageError{Type: typ, Segment: "PID", Err: ErrMissingSegment, Detail: "a patient is needed to map this message type"}
		}
	}
	h(cv)
	if err := cv.err; err != nil {
		cv.release()
		return nil, err
	}
	return cv, nil
}

// Bundle is the result of converting one message.
type Bundle struct {
	ResourceType string      `json:"resourceType"`
	ID           string      `json:"id,omitempty"`
	Identifier   *Identifier `json:"identifier,omitempty"`
	Type         string      `json:"type"`
	Timestamp    string      `json:"timestamp,omitempty"`
	Entry        []Entry     `json:"entry,omitempty"`

	conv *Converter // the Converter that made the Bundle, which keeps the size of its JSON
}

// Entry is one Bundle entry.
type Entry struct {
	FullURL  string        `json:"fullUrl,omitempty"`
	Resource Resource      `json:"resource"`
	Request  *EntryRequest `json:"request,omitempty"`
}

// EntryRequest is the REST request of a transaction or batch entry.
type EntryRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

// Resources returns the resources of the Bundle in entry order.
func (b *Bundle) Resources() []Resource {
	out := make([]Resource, len(b.Entry))
	for i := range b.Entry {
		out[i] = b.Entry[i].Resource
	}
	return out
}

// JSON returns the Bundle as compact JSON. The output is deterministic: properties are in
// struct order (resourceType first), entries in the order the message gave them. It is
// what encoding/json would write (without HTML escaping), written by the generated encoder
// of json_gen.go, which is several times faster. The error is always nil; it is there so
// that an encoder that can fail may replace this one.
func (b *Bundle) JSON() ([]byte, error) {
	n := 1024 + 1536*len(b.Entry)
	if b.conv != nil {
		if per := int(b.conv.jsonPerEntry.Load()); per > 0 {
			// The size per entry of the last Bundle, with a sixteenth more for the
			// variation between messages of one channel.
			n = 512 + per*len(b.Entry) + per*len(b.Entry)/16
		}
	}
	out := b.appendJSON(make([]byte, 0, n))
	if b.conv != nil && len(b.Entry) > 0 {
		b.conv.jsonPerEntry.Store(int64(len(out) / len(b.Entry)))
	}
	return out, nil
}

// MarshalJSON makes a Bundle marshal with encoding/json as JSON does.
func (b *Bundle) MarshalJSON() ([]byte, error) { return b.JSON() }
