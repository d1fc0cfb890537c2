package file

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/courier-hl7/courier/hl7"
)

// A template is a file or folder name with placeholders in double braces: an HL7 path
// ({{MSH-9.1}}, {{PID-3[1].1}}) or one of the extras ({{id}}, {{seq}}, {{group}},
// {{date:LAYOUT}}). The literal text is configuration and is kept as written, slashes
// included; every value is data and is sanitised into one safe path element (see sanitize).
type template struct {
	src   string
	parts []tmplPart
}

type partKind uint8

const (
	partLiteral partKind = iota
	partPath             // an HL7 path into the message
	partID               // the stored message's ID
	partSeq              // the queue entry's ID, or a batch's number in its window
	partDate             // a time formatted with a Go layout
	partGroup            // the batch's group name
)

var partNames = [...]string{partLiteral: "text", partPath: "an HL7 path", partID: "{{id}}", partSeq: "{{seq}}", partDate: "{{date}}", partGroup: "{{group}}"}

type tmplPart struct {
	kind partKind
	text string // the literal, or the date layout
	path hl7.Path
}

// tmplValues are what a template's placeholders read.
type tmplValues struct {
	msg     *hl7.Message // nil when the content does not parse: paths read as empty
	id, seq int64
	date    time.Time
	group   string
}

// defaultDateLayout is the layout of a bare {{date}}.
const defaultDateLayout = "20060102"

// maxValueBytes bounds one sanitised value, so that a long field cannot push a file name past
// the 255 bytes file systems allow.
const maxValueBytes = 64

// maxElemBytes bounds one element (a folder or file name) of an expanded template: several
// values side by side can pass the 255 bytes file systems allow, which would fail every
// delivery of the message. It leaves room for the -999 that exists: suffix adds.
const maxElemBytes = 240

// maxExtBytes is the longest extension that cutting an element keeps.
const maxExtBytes = 16

// parseTemplate reads a template. allowed lists the placeholder kinds the context permits
// (batch file names cannot read a message); partLiteral is always allowed.
func parseTemplate(src string, allowed ...partKind) (*template, error) {
	t := &template{src: src}
	rest := src
	for rest != "" {
		open := strings.Index(rest, "{{")
		end := strings.Index(rest, "}}")
		if end >= 0 && (open < 0 || end < open) {
			return nil, fmt.Errorf("%q at byte %d closes no placeholder (a placeholder is written {{MSH-10}})", "}}", len(src)-len(rest)+end+1)
		}
		if open < 0 {
			t.parts = append(t.parts, tmplPart{kind: partLiteral, text: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, tmplPart{kind: partLiteral, text: rest[:open]})
		}
		at := len(src) - len(rest) + open + 1
		if end < 0 {
			return nil, fmt.Errorf("the placeholder that starts at byte %d has no closing }}", at)
		}
		inner := strings.TrimSpace(rest[open+2 : end])
		p, err := parsePlaceholder(inner)
		if err != nil {
			return nil, fmt.Errorf("placeholder {{%s}} at byte %d: %w", inner, at, err)
		}
		ok := false
		for _, k := range allowed {
			ok = ok || k == p.kind
		}
		if !ok {
			return nil, fmt.Errorf("placeholder {{%s}} at byte %d: %s is not available here (use %s)", inner, at, partNames[p.kind], allowedList(allowed))
		}
		t.parts = append(t.parts, p)
		rest = rest[end+2:]
	}
	return t, nil
}

func parsePlaceholder(s string) (tmplPart, error) {
	name, arg, hasArg := strings.Cut(s, ":")
	switch name {
	case "":
		return tmplPart{}, fmt.Errorf("empty placeholder")
	case "id", "seq", "group":
		if hasArg {
			return tmplPart{}, fmt.Errorf("{{%s}} takes no argument", name)
		}
		return tmplPart{kind: map[string]partKind{"id": partID, "seq": partSeq, "group": partGroup}[name]}, nil
	case "date":
		layout := arg
		if !hasArg {
			layout = defaultDateLayout
		}
		if strings.TrimSpace(layout) == "" {
			return tmplPart{}, fmt.Errorf("empty date layout (write a Go layout like {{date:20060102}})")
		}
		return tmplPart{kind: partDate, text: layout}, nil
	}
	p, err := hl7.ParsePath(s)
	if err != nil {
		return tmplPart{}, fmt.Errorf("not an HL7 path like MSH-10 nor one of id, seq, group, date:LAYOUT: %w", err)
	}
	if p.Field == 0 {
		return tmplPart{}, fmt.Errorf("not a field: use an HL7 path like MSH-10, or one of id, seq, group, date:LAYOUT")
	}
	return tmplPart{kind: partPath, path: p}, nil
}

func allowedList(kinds []partKind) string {
	var names []string
	for _, k := range kinds {
		if k != partLiteral {
			names = append(names, partNames[k])
		}
	}
	if len(names) == 0 {
		return "plain text"
	}
	return strings.Join(names, ", ")
}

// uses reports whether the template has a placeholder of kind k.
func (t *template) uses(k partKind) bool {
	for _, p := range t.parts {
		if p.kind == k {
			return true
		}
	}
	return false
}

// literalElems returns the path elements of the template's literal text, for checks such as
// "no .. in a file name".
func (t *template) literalElems() []string {
	var out []string
	for _, p := range t.parts {
		if p.kind == partLiteral {
			out = append(out, strings.Split(p.text, "/")...)
		}
	}
	return out
}

// expand fills in the placeholders. The result uses forward slashes between elements, each
// cut to maxElemBytes.
func (t *template) expand(v tmplValues) string {
	elems := strings.Split(t.fill(v), "/")
	for i, e := range elems {
		elems[i] = cutElem(e)
	}
	return strings.Join(elems, "/")
}

// cutElem cuts a name longer than maxElemBytes, between characters, keeping its extension.
func cutElem(e string) string {
	if len(e) <= maxElemBytes {
		return e
	}
	ext := filepath.Ext(e)
	if len(ext) > maxExtBytes || ext == e {
		ext = ""
	}
	stem := e[:len(e)-len(ext)]
	n := maxElemBytes - len(ext)
	for n > 0 && !utf8.RuneStart(stem[n]) {
		n--
	}
	return stem[:n] + ext
}

// fill fills in the placeholders.
func (t *template) fill(v tmplValues) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.kind {
		case partLiteral:
			b.WriteString(p.text)
		case partPath:
			val := ""
			if v.msg != nil {
				val = v.msg.ValueAt(p.path).String()
			}
			b.WriteString(sanitize(val))
		case partID:
			b.WriteString(strconv.FormatInt(v.id, 10))
		case partSeq:
			b.WriteString(strconv.FormatInt(v.seq, 10))
		case partGroup:
			b.WriteString(sanitize(v.group))
		case partDate:
			// The layout is configuration, so its slashes make folders (2006/01/02); each
			// element is still sanitised, for layouts that print zone names and the like.
			elems := strings.Split(v.date.Format(p.text), "/")
			for i, e := range elems {
				elems[i] = sanitize(e)
			}
			b.WriteString(strings.Join(elems, "/"))
		}
	}
	return b.String()
}

// sanitize turns a value into one safe path element: letters and digits (of any script) and
// - _ . + = @ , are kept, everything else (separators, control characters, spaces, HL7
// delimiters, bytes that are not UTF-8) becomes _. A leading dot becomes _ so that no value
// makes a hidden file or a `.` or `..` element; names Windows reserves (CON, NUL, COM1...)
// get a _ in front; an empty value becomes _; a value is cut at 64 bytes.
func sanitize(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < maxValueBytes; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		ok := r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_.+=@,", r))
		if !ok {
			r = '_'
		}
		if b.Len()+utf8.RuneLen(r) > maxValueBytes {
			break
		}
		b.WriteRune(r)
	}
	out := b.String()
	if out == "" {
		return "_"
	}
	if out[0] == '.' {
		out = "_" + out[1:]
	}
	if windowsReserved(out) {
		out = "_" + out
	}
	return out
}

// windowsReserved reports whether name is a device name on Windows (with or without an
// extension), which shares written there cannot hold.
func windowsReserved(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	switch strings.ToUpper(base) {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return true
	}
	return false
}

// checkNameTemplate checks a template that names a file below a folder: relative, with no ..
// element, and ending in a file name.
func checkNameTemplate(t *template) error {
	if strings.HasPrefix(t.src, "/") || filepath.IsAbs(t.src) {
		return fmt.Errorf("the file name must be relative to the folder (put absolute folders in path)")
	}
	if strings.HasSuffix(strings.TrimSpace(t.src), "/") || strings.TrimSpace(t.src) == "" {
		return fmt.Errorf("the file name must end with a name, not a folder")
	}
	for _, e := range t.literalElems() {
		if e == ".." {
			return fmt.Errorf("the file name must not contain `..`: files stay inside the folder")
		}
	}
	return nil
}
