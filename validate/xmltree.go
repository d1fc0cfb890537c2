package validate

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// xmlNode is an element of a small XML file (a profile, a table file) with the line and column
// where it starts, so that every problem found in it can say where.
type xmlNode struct {
	name     string
	attrs    []xml.Attr
	children []*xmlNode
	text     strings.Builder
	line     int
	col      int
}

func (n *xmlNode) attrOK(name string) (string, bool) {
	for _, a := range n.attrs {
		if strings.EqualFold(a.Name.Local, name) {
			return a.Value, true
		}
	}
	return "", false
}

func (n *xmlNode) attr(name string) string {
	v, _ := n.attrOK(name)
	return strings.TrimSpace(v)
}

// child returns the first child element named name (case-insensitive), or nil.
func (n *xmlNode) child(name string) *xmlNode {
	for _, c := range n.children {
		if strings.EqualFold(c.name, name) {
			return c
		}
	}
	return nil
}

// maxXMLDepth and maxXMLElements bound what a file may make the parser build. A profile of a
// large message has a few thousand elements.
const (
	maxXMLDepth    = 64
	maxXMLElements = 1_000_000
)

// parseXMLTree reads a whole XML document into a tree. encoding/xml expands no external
// entities and reads no DTD, so a hostile file cannot make it open other files.
func parseXMLTree(r io.Reader, file string) (*xmlNode, error) {
	d := xml.NewDecoder(r)
	d.Strict = true
	var root *xmlNode
	var stack []*xmlNode
	count := 0
	for {
		line, col := d.InputPos()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &FileError{File: file, Line: se.Line, Msg: "XML syntax: " + se.Msg}
			}
			return nil, &FileError{File: file, Line: line, Column: col, Msg: "XML: " + err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if len(stack) >= maxXMLDepth || count > maxXMLElements {
				return nil, &FileError{File: file, Line: line, Column: col, Msg: "the document is nested too deeply or is too large"}
			}
			n := &xmlNode{name: t.Name.Local, attrs: t.Attr, line: line, col: col}
			if len(stack) == 0 {
				if root != nil {
					return nil, &FileError{File: file, Line: line, Column: col, Msg: "a second root element"}
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, &FileError{File: file, Line: 1, Msg: "no XML element in the file"}
	}
	return root, nil
}

// FileError is a problem in a file Courier reads to validate with (a conformance profile, a
// rules file, a table file), with the line and column where it is.
type FileError struct {
	File   string
	Line   int
	Column int // 0 when not known
	Msg    string
}

func (e *FileError) Error() string {
	switch {
	case e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// joinErrors joins errors so that each is on its own line.
func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}
