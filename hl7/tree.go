package hl7

// Node is one position of a message in the tree that Tree returns: a segment, field,
// repetition, component or sub-component. Empty positions are left out; the numbers say where
// each node is. Its JSON form is what `courier inspect --json` prints and what the golden
// files under testdata hold.
type Node struct {
	Path     string `json:"path"`            // canonical path: PID-3[1].4.2
	Name     string `json:"name,omitempty"`  // segment name, on segment nodes
	Value    string `json:"value,omitempty"` // decoded text, on leaves
	Raw      string `json:"raw,omitempty"`   // encoded text, when it differs from Value or the node has children
	Null     bool   `json:"null,omitempty"`  // the HL7 null ""
	Children []Node `json:"children,omitempty"`
}

// Tree returns the message as nested nodes: segments, then the fields present in each, then
// repetitions, components and sub-components when a value has them.
func (m *Message) Tree() []Node {
	out := make([]Node, 0, len(m.segs))
	occ, total := map[string]int{}, map[string]int{}
	for i := range m.segs {
		total[m.segs[i].nameString()]++
	}
	for i := range m.segs {
		s := Segment{m: m, i: i}
		name := s.Name()
		occ[name]++
		p := Path{Segment: name}
		if total[name] > 1 {
			p.Occurrence = occ[name]
		}
		sn := Node{Path: p.String(), Name: name}
		for f, v := range s.Fields() {
			if v.IsEmpty() {
				continue
			}
			fp := p
			fp.Field = f
			sn.Children = append(sn.Children, fieldNode(fp, v))
		}
		out = append(out, sn)
	}
	return out
}

func fieldNode(p Path, v Value) Node {
	if v.lv == lvLiteral || v.NumReps() <= 1 {
		if v.lv != lvLiteral && v.NumReps() == 1 && !v.IsLeaf() {
			return compsNode(p, v.Rep(1))
		}
		return leafNode(p, v)
	}
	n := Node{Path: p.String(), Raw: string(v.Raw())}
	for r, rv := range v.Reps() {
		if rv.IsEmpty() {
			continue
		}
		rp := p
		rp.Repetition = r
		n.Children = append(n.Children, compsNode(rp, rv))
	}
	return n
}

// compsNode returns a node for a repetition (or a field with one repetition) and its
// components.
func compsNode(p Path, v Value) Node {
	if v.IsLeaf() {
		return leafNode(p, v)
	}
	n := Node{Path: p.String(), Raw: string(v.Raw())}
	for c, cv := range v.Comps() {
		if cv.IsEmpty() {
			continue
		}
		cp := p
		cp.Component = c
		if cv.IsLeaf() {
			n.Children = append(n.Children, leafNode(cp, cv))
			continue
		}
		cn := Node{Path: cp.String(), Raw: string(cv.Raw())}
		for s, sv := range cv.Subs() {
			if sv.IsEmpty() {
				continue
			}
			sp := cp
			sp.SubComp = s
			cn.Children = append(cn.Children, leafNode(sp, sv))
		}
		n.Children = append(n.Children, cn)
	}
	return n
}

func leafNode(p Path, v Value) Node {
	n := Node{Path: p.String(), Value: v.String(), Null: v.IsNull()}
	if raw := string(v.Raw()); raw != n.Value {
		n.Raw = raw
	}
	if n.Null {
		n.Value = ""
	}
	return n
}
