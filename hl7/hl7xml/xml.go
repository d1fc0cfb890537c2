package hl7xml

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/hl7/dict"
)

// The namespaces of the documents this package writes.
const (
	Namespace        = "urn:hl7-org:v2xml"
	CourierNamespace = "urn:courier-hl7:er7"
	// ContentType is the media type of the XML this package writes.
	ContentType = "application/xml"
)

// Options configures Marshal.
type Options struct {
	// Version is the dictionary version that names data types and groups; empty means MSH-12
	// (the closest version the dictionary has).
	Version string
	// Flat puts every segment directly under the root, without the structure's groups.
	Flat bool
}

// Marshal writes m in the HL7 v2 XML encoding.
func Marshal(m *hl7.Message, o *Options) ([]byte, error) {
	if o == nil {
		o = &Options{}
	}
	w := &writer{m: m, d: m.Delimiters()}
	version := o.Version
	if version == "" {
		version = m.Version()
	}
	if version != "" {
		w.dict, _ = dict.Lookup(version)
	}
	if w.dict == nil {
		w.dict, _ = dict.Lookup("2.5.1")
	}
	text := m.Text()
	segs := make([][]byte, 0, m.NumSegments())
	for _, s := range m.Segments() {
		segs = append(segs, s.Raw())
	}
	prefix, trails, err := layout(text, segs)
	if err != nil {
		return nil, err
	}
	w.latin1 = charsetToWrite(m, text) == bytesLatin1
	terminator := "\r"
	if len(trails) > 0 && trails[0] != "" {
		terminator = firstTerminator(trails[0])
	}
	root, structure := w.rootName()
	b := &w.b
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<")
	b.WriteString(root)
	b.WriteString(` xmlns="` + Namespace + `"`)
	extra := &bytes.Buffer{}
	switch cs := charsetToWrite(m, text); cs {
	case "":
	case bytesLatin1:
		extra.WriteString(` c:latin1="true"`)
	default:
		w.attr(extra, "charset", cs)
	}
	if prefix != "" {
		w.attr(extra, "prefix", w.conv(prefix))
	}
	if terminator != "\r" {
		w.attr(extra, "terminator", terminator)
	}
	// The c: namespace is always declared: a leaf deep in the document may need it.
	b.WriteString(` xmlns:c="` + CourierNamespace + `"`)
	b.Write(extra.Bytes())
	b.WriteString(">\n")
	w.trails, w.terminator = trails, terminator
	var nodes []*node
	if structure != nil && !o.Flat {
		nodes = group(structure, segmentNames(m))
	} else {
		for i := range segs {
			nodes = append(nodes, &node{seg: i})
		}
	}
	w.nodes(nodes, root, "  ")
	b.WriteString("</")
	b.WriteString(root)
	b.WriteString(">\n")
	return b.Bytes(), nil
}

type writer struct {
	b          bytes.Buffer
	m          *hl7.Message
	d          hl7.Delimiters
	dict       *dict.Version
	latin1     bool
	trails     []string
	terminator string
}

// rootName returns the root element's name and the structure that groups the segments.
func (w *writer) rootName() (string, *dict.Structure) {
	m := w.m
	var s *dict.Structure
	if st := m.Get("MSH-9.3"); st != "" {
		s = w.dict.Structure(st)
	}
	if s == nil {
		s, _ = w.dict.StructureFor(m.Type(), m.Trigger())
	}
	if s != nil {
		return s.Name, s
	}
	name := m.Type()
	if m.Trigger() != "" {
		name += "_" + m.Trigger()
	}
	if !validName(name) {
		name = "HL7Message"
	}
	return name, nil
}

func validName(s string) bool {
	if s == "" || !(s[0] >= 'A' && s[0] <= 'Z' || s[0] >= 'a' && s[0] <= 'z' || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// segElement is a segment's element name: its name, or _name when it starts with a digit,
// which an XML name cannot.
func segElement(name string) string {
	if name != "" && name[0] >= '0' && name[0] <= '9' {
		return "_" + name
	}
	return name
}

func (w *writer) nodes(ns []*node, root, indent string) {
	for _, n := range ns {
		if n.group != "" {
			el := root + "." + n.group
			w.b.WriteString(indent + "<" + el + ">\n")
			w.nodes(n.kids, root, indent+"  ")
			w.b.WriteString(indent + "</" + el + ">\n")
			continue
		}
		w.segment(n.seg, indent)
	}
}

// attr writes a c: attribute; a value XML cannot hold is written in base64 as name64. Text
// of a latin1 message is converted by the caller.
func (w *writer) attr(b *bytes.Buffer, name, value string) {
	if !validXML(value) {
		b.WriteString(" c:" + name + `64="` + base64.StdEncoding.EncodeToString([]byte(value)) + `"`)
		return
	}
	b.WriteString(" c:" + name + `="`)
	escapeAttr(b, value)
	b.WriteString(`"`)
}

func escapeAttr(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s))
}

func (w *writer) segment(i int, indent string) {
	s := w.m.Segment(i)
	name := s.Name()
	el := segElement(name)
	b := &w.b
	b.WriteString(indent + "<" + el)
	if w.trails[i] != w.terminator {
		w.attr(b, "trail", w.conv(w.trails[i]))
	}
	b.WriteString(">\n")
	hdr := name == "MSH" || name == "FHS" || name == "BHS"
	var ds *dict.Segment
	if w.dict != nil {
		ds = w.dict.Segment(name)
	}
	n := s.NumFields()
	for f, v := range s.Fields() {
		fe := el + "." + strconv.Itoa(f)
		if hdr && f <= 2 {
			// MSH-1 and MSH-2 are literal: never split, never unescaped.
			b.WriteString(indent + "  <" + fe)
			if lit := w.conv(string(v.Raw())); validXML(lit) {
				b.WriteString(">")
				w.text(b, lit)
			} else {
				w.attr(b, "raw", lit)
				b.WriteString(">")
			}
			b.WriteString("</" + fe + ">\n")
			continue
		}
		raw := v.Raw()
		if len(raw) == 0 {
			if f == n {
				b.WriteString(indent + "  <" + fe + "/>\n")
			}
			continue
		}
		dt := ""
		if ds != nil {
			if fd := ds.Field(f); fd != nil {
				dt = fd.DataType
			}
		}
		if dt == "VARIES" || dt == "varies" {
			dt = ""
			if name == "OBX" && f == 5 {
				dt = w.m.ValueAt(hl7.Path{Segment: "OBX", Occurrence: occurrence(w.m, i), Field: 2}).String()
			}
		}
		reps := splitRaw(raw, w.d.Repetition)
		for r := range reps {
			b.WriteString(indent + "  <" + fe)
			w.rep(b, v.Rep(r+1), reps[r], fe, dt)
			b.WriteString("</" + fe + ">\n")
		}
	}
	b.WriteString(indent + "</" + el + ">\n")
}

func occurrence(m *hl7.Message, seg int) int {
	name := m.Segment(seg).Name()
	n := 0
	for i := 0; i <= seg; i++ {
		if m.Segment(i).Name() == name {
			n++
		}
	}
	return n
}

// composite returns the data type's definition when it has components.
func (w *writer) composite(dt string) *dict.DataType {
	if dt == "" || w.dict == nil {
		return nil
	}
	t := w.dict.DataType(dt)
	if t == nil || len(t.Components) == 0 {
		return nil
	}
	return t
}

// rep writes the rest of a repetition's start tag and its content. fe is the field element's
// name, for the names of parts whose data type is unknown.
func (w *writer) rep(b *bytes.Buffer, v hl7.Value, raw []byte, fe, dt string) {
	t := w.composite(dt)
	structured := hasAny(raw, w.d.Component, w.d.SubComponent)
	if t == nil && !structured {
		w.leaf(b, v, raw, true)
		return
	}
	b.WriteString(">")
	prefix := fe
	if t != nil {
		prefix = t.Name
	}
	comps := splitRaw(raw, w.d.Component)
	for c := range comps {
		if len(comps[c]) == 0 && c < len(comps)-1 {
			continue
		}
		ce := prefix + "." + strconv.Itoa(c+1)
		cdt := ""
		if t != nil {
			if cd := t.Component(c + 1); cd != nil {
				cdt = cd.DataType
			}
		}
		w.comp(b, v.Comp(c+1), comps[c], ce, cdt)
	}
}

func (w *writer) comp(b *bytes.Buffer, v hl7.Value, raw []byte, ce, dt string) {
	b.WriteString("<" + ce)
	t := w.composite(dt)
	if len(raw) == 0 {
		b.WriteString("/>")
		return
	}
	if t == nil && !hasAny(raw, w.d.SubComponent) {
		w.leaf(b, v, raw, true)
		b.WriteString("</" + ce + ">")
		return
	}
	b.WriteString(">")
	prefix := ce
	if t != nil {
		prefix = t.Name
	}
	subs := splitRaw(raw, w.d.SubComponent)
	for s := range subs {
		if len(subs[s]) == 0 && s < len(subs)-1 {
			continue
		}
		se := prefix + "." + strconv.Itoa(s+1)
		b.WriteString("<" + se)
		if len(subs[s]) == 0 {
			b.WriteString("/>")
			continue
		}
		w.leaf(b, v.Sub(s+1), subs[s], true)
		b.WriteString("</" + se + ">")
	}
	b.WriteString("</" + ce + ">")
}

// token is a piece of a leaf: literal text, or an escape sequence kept as <escape V=.../>.
type token struct {
	text   string
	escape bool
}

// tokenize splits a leaf's raw bytes: delimiter escapes become their characters, other
// escape sequences become escape tokens, and the rest is text.
func tokenize(raw string, d hl7.Delimiters) []token {
	var out []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, token{text: lit.String()})
			lit.Reset()
		}
	}
	e := d.Escape
	for i := 0; i < len(raw); {
		c := raw[i]
		if e == 0 || c != e {
			lit.WriteByte(c)
			i++
			continue
		}
		j := strings.IndexByte(raw[i+1:], e)
		if j < 0 {
			lit.WriteString(raw[i:])
			break
		}
		seq := raw[i+1 : i+1+j]
		i += j + 2
		if len(seq) == 1 {
			if r := delimiterFor(d, seq[0]); r != 0 {
				lit.WriteByte(r)
				continue
			}
		}
		flush()
		out = append(out, token{text: seq, escape: true})
	}
	flush()
	return out
}

func delimiterFor(d hl7.Delimiters, c byte) byte {
	switch c {
	case 'F':
		return d.Field
	case 'S':
		return d.Component
	case 'T':
		return d.SubComponent
	case 'R':
		return d.Repetition
	case 'E':
		return d.Escape
	case 'P':
		return d.Truncation
	}
	return 0
}

// encodeTokens writes tokens back as ER7: delimiters in text escaped, escape tokens as
// \seq\. It fails when the message has no escape character and one is needed.
func encodeTokens(ts []token, d hl7.Delimiters) (string, error) {
	var b strings.Builder
	for _, t := range ts {
		if t.escape {
			if d.Escape == 0 {
				return "", errors.New("escape sequence in a message without an escape character")
			}
			b.WriteByte(d.Escape)
			b.WriteString(t.text)
			b.WriteByte(d.Escape)
			continue
		}
		enc, err := d.EscapeText(t.text)
		if err != nil {
			return "", err
		}
		b.WriteString(enc)
	}
	return b.String(), nil
}

// leaf writes a leaf's content (closing the start tag when open): text and escape elements,
// with c:raw when they do not encode back to the bytes.
func (w *writer) leaf(b *bytes.Buffer, v hl7.Value, raw []byte, open bool) {
	s := string(raw)
	if w.latin1 {
		// Bytes that are not UTF-8 are read one character per byte, and written back so.
		s = latin1Text(s)
	}
	ts := tokenize(s, w.d)
	enc, err := encodeTokens(ts, w.d)
	ok := err == nil && enc == s
	writable := validXMLTokens(ts)
	if !writable {
		ok = false
	}
	if !ok {
		w.attr(b, "raw", s)
	}
	if open {
		b.WriteString(">")
	}
	if !writable {
		return // the text cannot be written: c:raw64 carries it
	}
	for _, t := range ts {
		if t.escape {
			b.WriteString(`<escape V="`)
			escapeAttr(b, t.text)
			b.WriteString(`"/>`)
			continue
		}
		_ = xml.EscapeText(b, []byte(t.text))
	}
}

func validXMLTokens(ts []token) bool {
	for _, t := range ts {
		if !validXML(t.text) {
			return false
		}
	}
	return true
}

func (w *writer) text(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s))
}

// validXML reports whether XML 1.0 can hold s (as text or with character references).
func validXML(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError {
			return false
		}
		if !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return false
		}
	}
	return true
}

// conv returns text as the document holds it: converted from bytes in a latin1 message.
func (w *writer) conv(s string) string {
	if w.latin1 {
		return latin1Text(s)
	}
	return s
}

// latin1Text reads bytes one character per byte (ISO 8859-1), for a message whose bytes are
// not UTF-8 and that names no character set.
func latin1Text(s string) string {
	rs := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		rs[i] = rune(s[i])
	}
	return string(rs)
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

// bytesLatin1 is what charsetToWrite returns for a message that names no character set and
// whose bytes are not UTF-8: each byte is written as one character, and c:latin1 says so.
const bytesLatin1 = "\x00latin1"

// utf8BOM is the character set hl7 reports for a message whose UTF-8 byte order mark overrode
// MSH-18; bom is that mark.
const utf8BOM = "UNICODE UTF-8"

var bom = []byte("\xef\xbb\xbf")

// charsetToWrite is hl7json's rule: the character set the text was decoded from when MSH-18
// does not say it; or bytesLatin1.
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

func layout(text []byte, segs [][]byte) (string, []string, error) {
	trails := make([]string, len(segs))
	pos := 0
	var prefix string
	for i, s := range segs {
		j := bytes.Index(text[pos:], s)
		if j < 0 {
			return "", nil, errors.New("hl7xml: segment not found in the message text")
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

func segmentNames(m *hl7.Message) []string {
	out := make([]string, 0, m.NumSegments())
	for _, s := range m.Segments() {
		out = append(out, s.Name())
	}
	return out
}

// node is a segment (by position) or a group of nodes.
type node struct {
	group string
	seg   int
	kids  []*node
}

// group assigns segments to the structure's groups, keeping their order. A segment the
// structure does not expect where it is (a Z-segment) stays in the group it appears in.
func group(s *dict.Structure, names []string) []*node {
	g := &grouper{names: names}
	var out []*node
	for g.pos < len(g.names) {
		before := g.pos
		g.match(s.Elements, &out, nil)
		if g.pos == before {
			// Not expected anywhere: keep it at the top level.
			out = append(out, &node{seg: g.pos})
			g.pos++
		}
	}
	return out
}

type grouper struct {
	names []string
	pos   int
}

type frame struct {
	elems  []dict.Element
	cur    int
	parent *frame
}

func (g *grouper) match(elems []dict.Element, out *[]*node, parent *frame) {
	f := &frame{elems: elems, parent: parent}
	for g.pos < len(g.names) {
		name := g.names[g.pos]
		k := find(elems, f.cur, name)
		if k < 0 {
			if parent != nil && parent.accepts(name) {
				return
			}
			if parent == nil {
				return
			}
			// Nobody expects it: it stays here.
			*out = append(*out, &node{seg: g.pos})
			g.pos++
			continue
		}
		e := elems[k]
		if e.Group != nil {
			n := &node{group: e.Group.Name}
			g.match(e.Group.Elements, &n.kids, f)
			*out = append(*out, n)
		} else {
			*out = append(*out, &node{seg: g.pos})
			g.pos++
		}
		f.cur = k
		if e.Max == 1 {
			f.cur = k + 1
		}
	}
}

func (f *frame) accepts(name string) bool {
	for ; f != nil; f = f.parent {
		if find(f.elems, f.cur, name) >= 0 {
			return true
		}
	}
	return false
}

// find returns the first element from cur that can start with segment name.
func find(elems []dict.Element, cur int, name string) int {
	for j := cur; j < len(elems); j++ {
		if starts(elems[j], name) {
			return j
		}
	}
	return -1
}

// starts reports whether element e can begin with segment name.
func starts(e dict.Element, name string) bool {
	switch {
	case e.Segment != "":
		return e.Segment == name
	case e.Choice != nil:
		for _, c := range e.Choice {
			if starts(c, name) {
				return true
			}
		}
	case e.Group != nil:
		for _, c := range e.Group.Elements {
			if starts(c, name) {
				return true
			}
			if c.Min > 0 {
				return false
			}
		}
	}
	return false
}

// Error reports XML that is not a message in this encoding, at its line in the document.
type Error struct {
	Line int
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	s := "hl7xml: "
	if e.Line > 0 {
		s += "line " + strconv.Itoa(e.Line) + ": "
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// xnode is a parsed element.
type xnode struct {
	name  string // local name
	attrs map[string]string
	kids  []*xnode
	text  []token // character data and escape elements, in order
	line  int
}

// Unmarshal reads a message from the HL7 v2 XML encoding. It accepts documents written by
// other tools: groups are read through, and whitespace between elements is ignored.
func Unmarshal(data []byte) (*hl7.Message, error) {
	root, err := parseXML(data)
	if err != nil {
		return nil, err
	}
	u := &reader{}
	u.segments(root)
	if len(u.segs) == 0 {
		return nil, &Error{Msg: "no segments in the document"}
	}
	first := u.segs[0]
	if name := segName(first.name); name != "MSH" && name != "FHS" && name != "BHS" {
		return nil, &Error{Line: first.line, Msg: "the first segment is MSH"}
	}
	fs, ec := literal(child(first, 1)), literal(child(first, 2))
	if i := strings.IndexAny(ec, "\r\n"); i >= 0 {
		ec = ec[:i] // hl7 reads MSH-2 up to a line end
	}
	hm, err := hl7.Parse([]byte("MSH" + fs + ec))
	if len(fs) != 1 || err != nil {
		return nil, &Error{Line: first.line, Msg: "MSH.1 and MSH.2 must hold the field separator and the encoding characters", Err: err}
	}
	u.d = hm.Delimiters()
	terminator := "\r"
	if t, ok := courierAttr(root, "terminator"); ok {
		if t != "\r" && t != "\n" && t != "\r\n" {
			return nil, &Error{Line: root.line, Msg: `c:terminator is "&#13;", "&#10;" or "&#13;&#10;"`}
		}
		terminator = t
	}
	var text strings.Builder
	if p, ok := courierAttr(root, "prefix"); ok {
		text.WriteString(p) // anything but a byte order mark and blank lines fails to parse
	}
	occ := map[string]int{}
	for i, s := range u.segs {
		name := segName(s.name)
		if len(name) != 3 {
			return nil, &Error{Line: s.line, Msg: fmt.Sprintf("segment element %q: a segment name is three characters", s.name)}
		}
		occ[name]++
		if err := u.segment(&text, s, name, occ[name]); err != nil {
			return nil, err
		}
		trail := terminator
		if t, ok := courierAttr(s, "trail"); ok {
			if strings.Trim(t, " \t\r\n\f\v\x00\x1a") != "" || i < len(u.segs)-1 && !strings.ContainsAny(t, "\r\n") {
				return nil, &Error{Line: s.line, Msg: "c:trail is a line end and blank lines"}
			}
			trail = t
		}
		text.WriteString(trail)
	}
	raw := []byte(text.String())
	var p hl7.Parser
	cs := ""
	if msh18 := u.segs[0]; msh18 != nil {
		cs = strings.TrimSpace(firstRep(u, msh18, 18))
	}
	if c, ok := courierAttr(root, "charset"); ok {
		if cs == "" {
			p.Charset = c
		}
		cs = c // when MSH-18 names a set, the bytes are not in it (a UTF-8 byte order mark)
	}
	if l, ok := courierAttr(root, "latin1"); ok && l == "true" && cs == "" {
		cs = "8859/1" // the bytes, one per character; read back as they are
	}
	if cs != "" {
		enc, ok := charsetEncoding(cs)
		if !ok {
			return nil, &Error{Msg: fmt.Sprintf("unsupported character set %q", cs)}
		}
		if enc != nil {
			if raw, err = encodeText(enc, raw); err != nil {
				return nil, &Error{Msg: "the text cannot be written in " + cs, Err: err}
			}
		}
	}
	m, err := p.Parse(raw)
	if err != nil {
		return nil, &Error{Msg: "the segments do not make a message", Err: err}
	}
	return m, nil
}

// firstRep returns the text of the first repetition of field n of a segment element.
func firstRep(u *reader, s *xnode, n int) string {
	for _, k := range s.kids {
		if num(k.name) == n {
			return leafText(k)
		}
	}
	return ""
}

func segName(el string) string {
	if len(el) == 4 && el[0] == '_' {
		return el[1:]
	}
	return el
}

// num returns the number after the last dot of an element name, or 0.
func num(name string) int {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return 0
	}
	n, err := strconv.Atoi(name[i+1:])
	if err != nil || n < 1 || n > 1<<20 {
		return 0
	}
	return n
}

func child(s *xnode, n int) *xnode {
	for _, k := range s.kids {
		if num(k.name) == n {
			return k
		}
	}
	return nil
}

func leafText(x *xnode) string {
	if x == nil {
		return ""
	}
	var b strings.Builder
	for _, t := range x.text {
		if !t.escape {
			b.WriteString(t.text)
		}
	}
	return b.String()
}

// literal returns MSH-1 or MSH-2 as written: its c:raw when it has one.
func literal(x *xnode) string {
	if x == nil {
		return ""
	}
	if raw, ok := courierAttr(x, "raw"); ok {
		return raw
	}
	return leafText(x)
}

func courierAttr(x *xnode, name string) (string, bool) {
	if v, ok := x.attrs[name]; ok {
		return v, true
	}
	if v, ok := x.attrs[name+"64"]; ok {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	return "", false
}

type reader struct {
	segs []*xnode
	d    hl7.Delimiters
}

// segments collects segment elements in document order, reading through groups.
func (u *reader) segments(x *xnode) {
	for _, k := range x.kids {
		if isSegment(k.name) {
			u.segs = append(u.segs, k)
			continue
		}
		u.segments(k)
	}
}

func isSegment(name string) bool {
	n := segName(name)
	return len(n) == 3 && !strings.Contains(name, ".")
}

func (u *reader) segment(b *strings.Builder, s *xnode, name string, occ int) error {
	b.WriteString(name)
	hdr := name == "MSH" || name == "FHS" || name == "BHS"
	// Fields in order; repetitions are consecutive elements of the same number.
	type field struct {
		n    int
		reps []*xnode
	}
	var fields []field
	for _, k := range s.kids {
		n := num(k.name)
		if n == 0 {
			return &Error{Line: k.line, Msg: fmt.Sprintf("element %q in segment %s: fields are named %s.<number>", k.name, name, name)}
		}
		if len(fields) > 0 && fields[len(fields)-1].n == n {
			fields[len(fields)-1].reps = append(fields[len(fields)-1].reps, k)
			continue
		}
		if len(fields) > 0 && n < fields[len(fields)-1].n {
			return &Error{Line: k.line, Msg: fmt.Sprintf("field %s.%d comes after field %d", name, n, fields[len(fields)-1].n)}
		}
		fields = append(fields, field{n: n, reps: []*xnode{k}})
	}
	at := 0
	if hdr {
		b.WriteByte(u.d.Field)
		b.WriteString(literal(child(s, 2)))
		at = 2
	}
	for _, f := range fields {
		if hdr && f.n <= 2 {
			continue
		}
		for ; at < f.n; at++ {
			b.WriteByte(u.d.Field)
		}
		p := hl7.Path{Segment: name, Occurrence: occ, Field: f.n}
		if len(f.reps) > 1 && u.d.Repetition == 0 {
			return &Error{Line: f.reps[1].line, Msg: "repetitions in a message whose MSH-2 defines no repetition separator"}
		}
		for r, x := range f.reps {
			if r > 0 {
				b.WriteByte(u.d.Repetition)
			}
			rp := p
			if len(f.reps) > 1 {
				rp.Repetition = r + 1
			}
			if err := u.parts(b, x, rp, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// parts writes a repetition (level 0), a component (1) or a sub-component (2).
func (u *reader) parts(b *strings.Builder, x *xnode, p hl7.Path, level int) error {
	if len(x.kids) == 0 {
		return u.leaf(b, x, p)
	}
	if level == 2 {
		return &Error{Line: x.line, Msg: fmt.Sprintf("element %q: sub-components hold text, not elements", x.name)}
	}
	sep := u.d.Component
	if level == 1 {
		sep = u.d.SubComponent
	}
	at := 1
	last := 0
	for _, k := range x.kids {
		n := num(k.name)
		if n == 0 || n <= last {
			return &Error{Line: k.line, Msg: fmt.Sprintf("element %q: parts are named TYPE.<number>, in increasing order", k.name)}
		}
		last = n
		if n > 1 && sep == 0 {
			return &Error{Line: k.line, Msg: "sub-components in a message whose MSH-2 defines no sub-component separator"}
		}
		for ; at < n; at++ {
			b.WriteByte(sep)
		}
		cp := p
		if p.Repetition == 0 {
			cp.Repetition = 1
		}
		if level == 0 {
			cp.Component = n
		} else {
			cp.SubComp = n
		}
		if err := u.parts(b, k, cp, level+1); err != nil {
			return err
		}
	}
	return nil
}

func (u *reader) leaf(b *strings.Builder, x *xnode, p hl7.Path) error {
	// The raw bytes stand for the text when the text was not edited and they cannot change
	// the message's structure.
	if raw, ok := courierAttr(x, "raw"); ok && !strings.ContainsRune(raw, '\r') &&
		!hasAny([]byte(raw), u.d.Field, u.d.Repetition, u.d.Component, u.d.SubComponent) &&
		(sameTokens(tokenize(raw, u.d), x.text) || len(x.text) == 0 && !validXML(raw)) {
		b.WriteString(raw)
		return nil
	}
	enc, err := encodeTokens(x.text, u.d)
	if err != nil {
		return &Error{Line: x.line, Msg: "text", Err: err}
	}
	b.WriteString(enc)
	return nil
}

func sameTokens(a, b []token) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// parseXML reads the document into a tree, keeping leaves' text and escape elements in order.
func parseXML(data []byte) (*xnode, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			return nil, &Error{Line: line, Msg: "not well-formed XML", Err: err}
		}
		line, _ := dec.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "escape" && len(stack) > 0 {
				v := ""
				for _, a := range t.Attr {
					if a.Name.Local == "V" {
						v = a.Value
					}
				}
				top := stack[len(stack)-1]
				top.text = append(top.text, token{text: v, escape: true})
				if err := dec.Skip(); err != nil {
					return nil, &Error{Line: line, Msg: "escape element", Err: err}
				}
				continue
			}
			n := &xnode{name: t.Name.Local, line: line, attrs: map[string]string{}}
			for _, a := range t.Attr {
				if a.Name.Space == CourierNamespace {
					n.attrs[a.Name.Local] = a.Value
				}
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, &Error{Line: line, Msg: "more than one root element"}
				}
				root = n
			} else {
				top := stack[len(stack)-1]
				top.kids = append(top.kids, n)
			}
			stack = append(stack, n)
			if len(stack) > 64 {
				return nil, &Error{Line: line, Msg: "elements nested deeper than 64 levels"}
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				if n := len(top.text); n > 0 && !top.text[n-1].escape {
					top.text[n-1].text += string(t)
				} else {
					top.text = append(top.text, token{text: string(t)})
				}
			}
		}
	}
	if root == nil {
		return nil, &Error{Msg: "no root element"}
	}
	clean(root)
	return root, nil
}

// clean drops the white space between the child elements of structured elements: it is
// indentation, not content.
func clean(x *xnode) {
	if len(x.kids) > 0 {
		x.text = nil
		for _, k := range x.kids {
			clean(k)
		}
	}
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
