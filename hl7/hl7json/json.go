package hl7json

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/hl7/dict"
)

// ContentType is the media type of the JSON this package writes.
const ContentType = "application/json"

// Options configures Marshal. The zero Options writes the plain shape.
type Options struct {
	// Names adds a "names" object: for each segment name in the message, the segment's
	// description and its fields' names from the HL7 dictionary, indexed like the segment
	// arrays. Unmarshal ignores it.
	Names bool
	// Version is the dictionary version for Names; empty means MSH-12.
	Version string
}

// Marshal writes m as JSON: one segment per line, keys in a fixed order, so that the output
// of a message is always the same bytes.
func Marshal(m *hl7.Message, o *Options) ([]byte, error) {
	if o == nil {
		o = &Options{}
	}
	text := m.Text()
	d := m.Delimiters()
	var b bytes.Buffer
	b.Grow(len(text)*3/2 + 64)
	b.WriteString("{\n")

	// Trails and the prefix are read from the text between segments.
	segs := make([][]byte, 0, m.NumSegments())
	for _, s := range m.Segments() {
		segs = append(segs, s.Raw())
	}
	prefix, trails, err := layout(text, segs)
	if err != nil {
		return nil, err
	}
	terminator := "\r"
	if len(trails) > 1 || len(trails) == 1 && trails[0] != "" {
		terminator = firstTerminator(trails[0])
	}
	latin1 := false
	switch cs := charsetToWrite(m, text); cs {
	case "":
	case bytesLatin1:
		latin1 = true
		writeKey(&b, "latin1")
		b.WriteString("true,\n")
	default:
		writeKey(&b, "charset")
		appendString(&b, cs, false)
		b.WriteString(",\n")
	}
	if prefix != "" {
		writeKey(&b, "prefix")
		appendString(&b, prefix, latin1)
		b.WriteString(",\n")
	}
	if terminator != "\r" {
		writeKey(&b, "terminator")
		appendString(&b, terminator, false)
		b.WriteString(",\n")
	}
	first := true
	for i, t := range trails {
		if t == terminator {
			continue
		}
		if first {
			writeKey(&b, "trails")
			b.WriteString("{")
			first = false
		} else {
			b.WriteString(", ")
		}
		appendString(&b, strconv.Itoa(i), false)
		b.WriteString(": ")
		appendString(&b, t, latin1)
	}
	if !first {
		b.WriteString("},\n")
	}
	writeKey(&b, "segments")
	b.WriteString("[\n")
	for i, s := range m.Segments() {
		b.WriteString("    [")
		appendString(&b, s.Name(), latin1)
		for f, v := range s.Fields() {
			b.WriteString(", ")
			hdr := isHeader(s.Name()) && f <= 2
			writeField(&b, v, d, hdr, latin1)
		}
		b.WriteString("]")
		if i < m.NumSegments()-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("  ]")
	if o.Names {
		b.WriteString(",\n")
		writeNames(&b, m, o.Version)
	}
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}

func isHeader(name string) bool { return name == "MSH" || name == "FHS" || name == "BHS" }

func writeKey(b *bytes.Buffer, k string) {
	b.WriteString("  ")
	appendString(b, k, false)
	b.WriteString(": ")
}

// bytesLatin1 is what charsetToWrite returns for a message that names no character set and
// whose bytes are not UTF-8: each byte is written as one character (ISO 8859-1), so that
// nothing is lost, and "latin1": true says so.
const bytesLatin1 = "\x00latin1"

// utf8BOM is the character set hl7 reports for a message whose UTF-8 byte order mark overrode
// MSH-18; bom is that mark.
const utf8BOM = "UNICODE UTF-8"

var bom = []byte("\xef\xbb\xbf")

// charsetToWrite returns the "charset" key's value: the character set the text was decoded
// from when MSH-18 does not say it; or bytesLatin1.
func charsetToWrite(m *hl7.Message, text []byte) string {
	declared := string(m.ValueAt(hl7.Path{Segment: "MSH", Field: 18, Repetition: 1}).Raw())
	if strings.TrimSpace(declared) != "" {
		if m.Charset() == utf8BOM && bytes.HasPrefix(text, bom) {
			// A UTF-8 byte order mark made hl7 read the message as UTF-8 whatever MSH-18
			// says: say so, or the way back would encode the text in MSH-18's set.
			return utf8BOM
		}
		return ""
	}
	if m.Charset() != "" {
		return m.Charset()
	}
	if !utf8.Valid(text) {
		return bytesLatin1
	}
	return ""
}

// layout finds what surrounds the segments in text: the prefix before the first, and each
// segment's trail (its terminator and any blank lines after it).
func layout(text []byte, segs [][]byte) (string, []string, error) {
	trails := make([]string, len(segs))
	pos := 0
	var prefix string
	for i, s := range segs {
		j := bytes.Index(text[pos:], s)
		if j < 0 {
			return "", nil, errors.New("hl7json: segment not found in the message text")
		}
		if i == 0 {
			prefix = string(text[:pos+j])
		} else {
			trails[i-1] = string(text[pos : pos+j])
		}
		pos += j + len(s)
	}
	if len(segs) > 0 {
		trails[len(segs)-1] = string(text[pos:])
	}
	return prefix, trails, nil
}

func firstTerminator(t string) string {
	switch {
	case strings.HasPrefix(t, "\r\n"):
		return "\r\n"
	case strings.HasPrefix(t, "\r"):
		return "\r"
	case strings.HasPrefix(t, "\n"):
		return "\n"
	}
	return "\r"
}

// writeField writes a field: a string, or an array of repetitions.
func writeField(b *bytes.Buffer, v hl7.Value, d hl7.Delimiters, literal, latin1 bool) {
	raw := v.Raw()
	if literal {
		appendString(b, string(raw), latin1)
		return
	}
	if !hasAny(raw, d.Repetition, d.Component, d.SubComponent) {
		writeLeaf(b, v, d, latin1)
		return
	}
	b.WriteByte('[')
	for i, r := range splitRaw(raw, d.Repetition) {
		if i > 0 {
			b.WriteString(", ")
		}
		writeRep(b, v.Rep(i+1), r, d, latin1)
	}
	b.WriteByte(']')
}

func writeRep(b *bytes.Buffer, v hl7.Value, raw []byte, d hl7.Delimiters, latin1 bool) {
	if !hasAny(raw, d.Component, d.SubComponent) {
		writeLeaf(b, v, d, latin1)
		return
	}
	b.WriteByte('[')
	for i, c := range splitRaw(raw, d.Component) {
		if i > 0 {
			b.WriteString(", ")
		}
		cv := v.Comp(i + 1)
		if !hasAny(c, d.SubComponent) {
			writeLeaf(b, cv, d, latin1)
			continue
		}
		b.WriteByte('[')
		for k := range splitRaw(c, d.SubComponent) {
			if k > 0 {
				b.WriteString(", ")
			}
			writeLeaf(b, cv.Sub(k+1), d, latin1)
		}
		b.WriteByte(']')
	}
	b.WriteByte(']')
}

// writeLeaf writes a leaf's text, or {"raw", "text"} when escaping the text does not give
// back the bytes it was read from.
func writeLeaf(b *bytes.Buffer, v hl7.Value, d hl7.Delimiters, latin1 bool) {
	raw := v.Raw()
	if !needsEscape(raw, d) {
		appendString(b, string(raw), latin1)
		return
	}
	text := v.String()
	if enc, err := d.EscapeText(text); err == nil && enc == string(raw) {
		appendString(b, text, latin1)
		return
	}
	b.WriteString(`{"raw": `)
	appendString(b, string(raw), latin1)
	b.WriteString(`, "text": `)
	appendString(b, text, latin1)
	b.WriteByte('}')
}

// needsEscape reports whether raw holds a byte that decoding or escaping would change: the
// escape character, the truncation character, a line end.
func needsEscape(raw []byte, d hl7.Delimiters) bool {
	for _, c := range raw {
		if c == d.Escape && c != 0 || c == d.Truncation && c != 0 || c == '\r' || c == '\n' {
			return true
		}
	}
	return false
}

func hasAny(b []byte, seps ...byte) bool {
	for _, c := range b {
		for _, s := range seps {
			if s != 0 && c == s {
				return true
			}
		}
	}
	return false
}

func splitRaw(b []byte, sep byte) [][]byte {
	if sep == 0 {
		return [][]byte{b}
	}
	return bytes.Split(b, []byte{sep})
}

// appendString writes s as a JSON string. With latin1, s holds bytes that are not UTF-8 and
// each byte is written as the character of the same number.
func appendString(b *bytes.Buffer, s string, latin1 bool) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if latin1 && c >= 0x80 {
			b.WriteRune(rune(c))
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20 || c == 0x7f:
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xF])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(`\ufffd`)
			i++
			continue
		}
		if r == '\u2028' || r == '\u2029' || r == '\ufeff' {
			fmt.Fprintf(b, `\u%04x`, r)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

func writeNames(b *bytes.Buffer, m *hl7.Message, version string) {
	if version == "" {
		version = m.Version()
	}
	writeKey(b, "names")
	b.WriteString("{")
	dv, _ := dict.Lookup(version)
	seen := map[string]bool{}
	var names []string
	for _, s := range m.Segments() {
		if !seen[s.Name()] {
			seen[s.Name()] = true
			names = append(names, s.Name())
		}
	}
	sort.Strings(names)
	for i, name := range names {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n    ")
		appendString(b, name, false)
		b.WriteString(": [")
		var seg *dict.Segment
		if dv != nil {
			seg = dv.Segment(name)
		}
		if seg == nil {
			appendString(b, "", false)
		} else {
			appendString(b, seg.Description, false)
			for _, f := range seg.Fields {
				b.WriteString(", ")
				appendString(b, f.Name, false)
			}
		}
		b.WriteString("]")
	}
	b.WriteString("\n  }")
}

// Error reports JSON that is not a message in this package's shape, at the JSON path of the
// problem (segments[2][5][0]).
type Error struct {
	Path string
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	s := "hl7json: "
	if e.Path != "" {
		s += e.Path + ": "
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

type document struct {
	Charset    string            `json:"charset"`
	Latin1     bool              `json:"latin1"`
	Prefix     string            `json:"prefix"`
	Terminator *string           `json:"terminator"`
	Trails     map[string]string `json:"trails"`
	Segments   [][]any           `json:"segments"`
	Names      json.RawMessage   `json:"names"`
}

// leafFix is a leaf written as {"raw", "text"}: after parsing, the text is checked against
// what the raw bytes decode to, and written escaped if it was edited.
type leafFix struct {
	path hl7.Path
	text string
}

// Unmarshal reads a message from JSON in the shape Marshal writes. Unknown keys are errors.
func Unmarshal(data []byte) (*hl7.Message, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc document
	if err := dec.Decode(&doc); err != nil {
		return nil, &Error{Msg: "not a message document", Err: err}
	}
	if dec.More() {
		return nil, &Error{Msg: "data after the document"}
	}
	if len(doc.Segments) == 0 {
		return nil, &Error{Path: "segments", Msg: "a message needs at least its MSH segment"}
	}
	terminator := "\r"
	if doc.Terminator != nil {
		terminator = *doc.Terminator
		if !isTerminator(terminator) {
			return nil, &Error{Path: "terminator", Msg: `a terminator is "\r", "\n" or "\r\n"`}
		}
	}
	trails := map[int]string{}
	for k, v := range doc.Trails {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(doc.Segments) {
			return nil, &Error{Path: "trails." + k, Msg: fmt.Sprintf("not the index of a segment (0 to %d)", len(doc.Segments)-1)}
		}
		if strings.Trim(v, " \t\r\n\f\v\x00\x1a") != "" || i < len(doc.Segments)-1 && !strings.ContainsAny(v, "\r\n") {
			return nil, &Error{Path: "trails." + k, Msg: "a trail is a line end and blank lines (the last segment's may be empty)"}
		}
		trails[i] = v
	}
	u := &unmarshaler{}
	hdr := doc.Segments[0]
	if len(hdr) < 3 {
		return nil, &Error{Path: "segments[0]", Msg: `the first segment starts ["MSH", "|", "^~\\&", ...]`}
	}
	fs, ok1 := hdr[1].(string)
	ec, ok2 := hdr[2].(string)
	name, ok0 := hdr[0].(string)
	if !ok0 || !ok1 || !ok2 || !isHeader(name) || len(fs) != 1 {
		return nil, &Error{Path: "segments[0]", Msg: `the first segment starts ["MSH", "|", "^~\\&", ...]`}
	}
	d, err := readDelimiters(fs, ec)
	if err != nil {
		return nil, &Error{Path: "segments[0][2]", Msg: "encoding characters", Err: err}
	}
	u.d = d
	var text strings.Builder
	text.WriteString(doc.Prefix)
	occ := map[string]int{}
	for i, seg := range doc.Segments {
		path := fmt.Sprintf("segments[%d]", i)
		if len(seg) == 0 {
			return nil, &Error{Path: path, Msg: "a segment starts with its name"}
		}
		name, ok := seg[0].(string)
		if !ok || len(name) != 3 {
			return nil, &Error{Path: path + "[0]", Msg: "a segment name is three characters"}
		}
		occ[name]++
		text.WriteString(name)
		for f := 1; f < len(seg); f++ {
			fp := fmt.Sprintf("%s[%d]", path, f)
			p := hl7.Path{Segment: name, Occurrence: occ[name], Field: f}
			if isHeader(name) && f <= 2 {
				s, ok := seg[f].(string)
				if !ok {
					return nil, &Error{Path: fp, Msg: "MSH-1 and MSH-2 are strings"}
				}
				if f == 1 {
					text.WriteString(s)
				} else {
					text.WriteString(s)
				}
				continue
			}
			text.WriteByte(d.Field)
			if err := u.field(&text, seg[f], fp, p); err != nil {
				return nil, err
			}
		}
		if t, ok := trails[i]; ok {
			text.WriteString(t)
		} else {
			text.WriteString(terminator)
		}
	}
	raw := []byte(text.String())
	// The bytes are the text in the message's character set: MSH-18's, or the one "charset"
	// names when MSH-18 names none.
	var p hl7.Parser
	cs := headerCharset(doc.Segments[0], d)
	switch {
	case cs == "" && doc.Charset != "":
		cs, p.Charset = doc.Charset, doc.Charset
	case doc.Charset != "":
		cs = doc.Charset // the bytes are not in MSH-18's set (a UTF-8 byte order mark)
	case cs == "" && doc.Latin1:
		cs = "8859/1" // the bytes, one per character; read back as they are
	}
	if cs != "" {
		enc, ok := charsetEncoding(cs)
		if !ok {
			return nil, &Error{Path: "charset", Msg: fmt.Sprintf("unsupported character set %q", cs)}
		}
		if enc != nil {
			if raw, err = encodeText(enc, raw); err != nil {
				return nil, &Error{Msg: fmt.Sprintf("the text cannot be written in %s", cs), Err: err}
			}
		}
	}
	m, err := p.Parse(raw)
	if err != nil {
		return nil, &Error{Msg: "the segments do not make a message", Err: err}
	}
	for _, fix := range u.fixes {
		got, text := m.ValueAt(fix.path).String(), fix.text
		if doc.Latin1 && cs == "8859/1" {
			got, text = latin1Text(got), latin1Bytes(text)
		}
		// Decoded bytes that are not UTF-8 (\X80\) were written as U+FFFD.
		if jsonText(got) == fix.text {
			continue
		}
		if err := m.SetAt(fix.path, text); err != nil {
			return nil, &Error{Path: fix.path.String(), Msg: "edited text", Err: err}
		}
	}
	return m, nil
}

// latin1Text reads bytes one character per byte; latin1Bytes is its inverse.
func latin1Text(s string) string {
	rs := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		rs[i] = rune(s[i])
	}
	return string(rs)
}

func latin1Bytes(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return string(b)
}

// jsonText is s as appendString writes it: each byte that is not UTF-8 becomes U+FFFD.
func jsonText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isTerminator(t string) bool { return t == "\r" || t == "\n" || t == "\r\n" }

// headerCharset returns the first repetition of MSH-18 as the JSON gives it.
func headerCharset(hdr []any, d hl7.Delimiters) string {
	if len(hdr) <= 18 {
		return ""
	}
	switch v := hdr[18].(type) {
	case string:
		return strings.TrimSpace(v)
	case []any:
		if len(v) > 0 {
			if s, ok := v[0].(string); ok {
				return strings.TrimSpace(s)
			}
		}
	}
	return ""
}

// readDelimiters reads MSH-1 and MSH-2 through package hl7, so that the rules are its own.
func readDelimiters(fs, ec string) (hl7.Delimiters, error) {
	if i := strings.IndexAny(ec, "\r\n"); i >= 0 {
		ec = ec[:i] // hl7 reads MSH-2 up to a line end
	}
	m, err := hl7.Parse([]byte("MSH" + fs + ec))
	if err != nil {
		var pe *hl7.ParseError
		if errors.As(err, &pe) {
			return hl7.Delimiters{}, pe.Err
		}
		return hl7.Delimiters{}, err
	}
	return m.Delimiters(), nil
}

type unmarshaler struct {
	d     hl7.Delimiters
	fixes []leafFix
}

func (u *unmarshaler) field(b *strings.Builder, v any, path string, p hl7.Path) error {
	reps, ok := v.([]any)
	if !ok {
		return u.leaf(b, v, path, p)
	}
	if len(reps) > 1 && u.d.Repetition == 0 {
		return &Error{Path: path, Msg: "the message's MSH-2 defines no repetition separator"}
	}
	for i, r := range reps {
		if i > 0 {
			b.WriteByte(u.d.Repetition)
		}
		rp := p
		rp.Repetition = i + 1
		if err := u.rep(b, r, fmt.Sprintf("%s[%d]", path, i), rp); err != nil {
			return err
		}
	}
	return nil
}

func (u *unmarshaler) rep(b *strings.Builder, v any, path string, p hl7.Path) error {
	comps, ok := v.([]any)
	if !ok {
		return u.leaf(b, v, path, p)
	}
	for i, c := range comps {
		if i > 0 {
			b.WriteByte(u.d.Component)
		}
		cp := p
		cp.Component = i + 1
		cpath := fmt.Sprintf("%s[%d]", path, i)
		subs, ok := c.([]any)
		if !ok {
			if err := u.leaf(b, c, cpath, cp); err != nil {
				return err
			}
			continue
		}
		if len(subs) > 1 && u.d.SubComponent == 0 {
			return &Error{Path: cpath, Msg: "the message's MSH-2 defines no sub-component separator"}
		}
		for k, s := range subs {
			if k > 0 {
				b.WriteByte(u.d.SubComponent)
			}
			sp := cp
			sp.SubComp = k + 1
			if _, nested := s.([]any); nested {
				return &Error{Path: fmt.Sprintf("%s[%d]", cpath, k), Msg: "sub-components hold text, not arrays"}
			}
			if err := u.leaf(b, s, fmt.Sprintf("%s[%d]", cpath, k), sp); err != nil {
				return err
			}
		}
	}
	return nil
}

// leaf writes text escaped, or the raw bytes of a {"raw", "text"} object (checked against its
// text once the message is parsed).
func (u *unmarshaler) leaf(b *strings.Builder, v any, path string, p hl7.Path) error {
	switch x := v.(type) {
	case string:
		enc, err := u.d.EscapeText(x)
		if err != nil {
			return &Error{Path: path, Msg: "text", Err: err}
		}
		b.WriteString(enc)
		return nil
	case map[string]any:
		raw, ok1 := x["raw"].(string)
		text, ok2 := x["text"].(string)
		if !ok1 || !ok2 || len(x) != 2 {
			return &Error{Path: path, Msg: `an object value is {"raw": "...", "text": "..."}`}
		}
		if strings.ContainsRune(raw, '\r') || hasAny([]byte(raw), u.d.Field, u.d.Repetition, u.d.Component, u.d.SubComponent) {
			// Raw bytes that would change the structure are not trusted: write the text.
			enc, err := u.d.EscapeText(text)
			if err != nil {
				return &Error{Path: path, Msg: "text", Err: err}
			}
			b.WriteString(enc)
			return nil
		}
		b.WriteString(raw)
		u.fixes = append(u.fixes, leafFix{path: p, text: text})
		return nil
	case nil:
		return &Error{Path: path, Msg: "null is not a value; write \"\" for an empty one, or \"\\\"\\\"\" for the HL7 null"}
	}
	return &Error{Path: path, Msg: fmt.Sprintf("expected a string or an array, got %T", v)}
}

// encodeText encodes text in enc. A UTF-8 byte order mark that starts it stays as it is: hl7
// keeps the mark a message came with and reads the rest in MSH-18's set.
func encodeText(enc encoding.Encoding, text []byte) ([]byte, error) {
	if !bytes.HasPrefix(text, bom) {
		return enc.NewEncoder().Bytes(text)
	}
	out, err := enc.NewEncoder().Bytes(text[len(bom):])
	if err != nil {
		return nil, err
	}
	return append(bom[:len(bom):len(bom)], out...), nil
}
