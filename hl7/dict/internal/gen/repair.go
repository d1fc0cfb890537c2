package gen

import (
	"fmt"
	"strings"
)

// fieldRepair corrects the usage of one segment field of one version, where the source
// contradicts the standard. from is the source's faulty "opt" number and to the corrected
// one (1 O, 2 R; see usages). A repair whose field no longer reads from stops the generator:
// a corrected source must not get a stale patch, and the repair must then be removed.
type fieldRepair struct {
	version, segment string
	seq              int // from 1
	from, to         int
	why              string // the standard's text this follows
}

// fieldRepairs are the field repairs, each citing the standard. A conditional (C) field reads
// O in this dictionary, as the source's other C fields before 2.7 do (see Field.Usage).
var fieldRepairs = []fieldRepair{
	{"2.3.1", "OBX", 2, 2, 1, "HL7 v2.3.1 §7.3.2.2: Value Type is conditional (C), valued when OBX-5 is (the source has O in 2.4)"},
	{"2.3.1", "OBX", 4, 2, 1, "HL7 v2.3.1 §7.3.2.4: Observation Sub-ID is conditional (C); the source has O in 2.3 and 2.4"},
	{"2.3.1", "ORC", 1, 1, 2, "HL7 v2.3.1 §4.3.1.1 (ORC attributes): Order Control is R, as in every version"},
}

// elementRepair corrects one group of one message structure, where the source contradicts
// the standard: its cardinality, its name, or both. path names the group and its enclosing
// groups from the top, "/"-separated, as the source spells them. A repair whose group is not
// found, or does not have the cardinality from, stops the generator, so that a corrected
// source does not get a stale patch.
type elementRepair struct {
	version, structure string
	path               string
	from, to           [2]int // min, max as the source has them, and as repaired (0 max: unbounded)
	rename             string // the group's corrected name, or "" to keep it
	why                string
}

// The 2.6 source turns the optional repeating groups [{ ... }] of seven order and query
// structures into required single ones (1..1): INSURANCE, TIMING, OBSERVATION, SPECIMEN,
// CONTAINER, PRIOR_RESULT, TIMING_PRIOR and the like. The source's own 2.5.1 has them 0..*, and
// so does the standard: each was checked against the v2.6 message definition as HAPI's
// generated v2.6 structures (ca.uhn.hl7v2.model.v26.group, built from the HL7 v2.6 database)
// carry it, where every one of these groups is "optional repeating". "TIIMING" is the source's
// misspelling of TIMING in OML_O21, OML_O33 and OML_O35 of 2.5, 2.5.1 and 2.6.
const whyTiming = "HL7 v2.5 to v2.6 chapter 4: the group is TIMING; the source spells it TIIMING"

// why26 is the reason of a 2.6 group repair: the standard's message definition in the chapter
// given, and the evidence checked.
func why26(chapter int, message string) string {
	return fmt.Sprintf("HL7 v2.6 chapter %d, message %s: the group is [{ ... }], optional and repeating, as in the source's 2.5.1 and in HAPI's v2.6 structure", chapter, message)
}

var (
	optionalRepeating = [2]int{0, 0}
	requiredOnce      = [2]int{1, 1}
)

var (
	whyOMG19  = why26(4, "OMG^O19^OMG_O19")
	whyOML21  = why26(4, "OML^O21^OML_O21")
	whyOML33  = why26(4, "OML^O33^OML_O33")
	whyOML35  = why26(4, "OML^O35^OML_O35")
	whyORB28  = why26(4, "ORB^O28^ORB_O28")
	whyORI24  = why26(4, "ORI^O24^ORI_O24")
	whyRSPZ82 = why26(5, "RSP^Z82^RSP_Z82")
)

var elementRepairs = []elementRepair{
	{"2.6", "OMG_O19", "PATIENT/INSURANCE", requiredOnce, optionalRepeating, "", whyOMG19},
	{"2.6", "OMG_O19", "ORDER/TIMING", requiredOnce, optionalRepeating, "", whyOMG19},
	{"2.6", "OMG_O19", "ORDER/OBSERVATION", requiredOnce, optionalRepeating, "", whyOMG19},
	{"2.6", "OMG_O19", "ORDER/SPECIMEN", requiredOnce, optionalRepeating, "", whyOMG19},
	{"2.6", "OMG_O19", "ORDER/SPECIMEN/CONTAINER", requiredOnce, optionalRepeating, "", whyOMG19},
	{"2.6", "OMG_O19", "ORDER/PRIOR_RESULT", requiredOnce, optionalRepeating, "", whyOMG19},
	{"2.6", "OMG_O19", "ORDER/PRIOR_RESULT/ORDER_PRIOR/TIMING_PRIOR", requiredOnce, optionalRepeating, "", whyOMG19},
	{"2.6", "OML_O21", "PATIENT/INSURANCE", requiredOnce, optionalRepeating, "", whyOML21},
	{"2.6", "OML_O21", "ORDER/TIIMING", requiredOnce, optionalRepeating, "TIMING", whyOML21 + "; " + whyTiming},
	{"2.6", "OML_O21", "ORDER/OBSERVATION_REQUEST/OBSERVATION", requiredOnce, optionalRepeating, "", whyOML21},
	{"2.6", "OML_O21", "ORDER/OBSERVATION_REQUEST/SPECIMEN", requiredOnce, optionalRepeating, "", whyOML21},
	{"2.6", "OML_O21", "ORDER/OBSERVATION_REQUEST/SPECIMEN/CONTAINER", requiredOnce, optionalRepeating, "", whyOML21},
	{"2.6", "OML_O21", "ORDER/OBSERVATION_REQUEST/PRIOR_RESULT", requiredOnce, optionalRepeating, "", whyOML21},
	{"2.6", "OML_O21", "ORDER/OBSERVATION_REQUEST/PRIOR_RESULT/ORDER_PRIOR/TIMING_PRIOR", requiredOnce, optionalRepeating, "", whyOML21},
	{"2.6", "OML_O33", "PATIENT/INSURANCE", requiredOnce, optionalRepeating, "", whyOML33},
	{"2.6", "OML_O33", "SPECIMEN/ORDER/TIIMING", requiredOnce, optionalRepeating, "TIMING", whyOML33 + "; " + whyTiming},
	{"2.6", "OML_O33", "SPECIMEN/ORDER/OBSERVATION_REQUEST/OBSERVATION", requiredOnce, optionalRepeating, "", whyOML33},
	{"2.6", "OML_O33", "SPECIMEN/ORDER/OBSERVATION_REQUEST/PRIOR_RESULT", requiredOnce, optionalRepeating, "", whyOML33},
	{"2.6", "OML_O33", "SPECIMEN/ORDER/OBSERVATION_REQUEST/PRIOR_RESULT/ORDER_PRIOR/TIMING_PRIOR", requiredOnce, optionalRepeating, "", whyOML33},
	{"2.6", "OML_O35", "PATIENT/INSURANCE", requiredOnce, optionalRepeating, "", whyOML35},
	{"2.6", "OML_O35", "SPECIMEN/SPECIMEN_CONTAINER/ORDER/TIIMING", requiredOnce, optionalRepeating, "TIMING", whyOML35 + "; " + whyTiming},
	{"2.6", "OML_O35", "SPECIMEN/SPECIMEN_CONTAINER/ORDER/OBSERVATION_REQUEST/OBSERVATION", requiredOnce, optionalRepeating, "", whyOML35},
	{"2.6", "OML_O35", "SPECIMEN/SPECIMEN_CONTAINER/ORDER/OBSERVATION_REQUEST/PRIOR_RESULT", requiredOnce, optionalRepeating, "", whyOML35},
	{"2.6", "OML_O35", "SPECIMEN/SPECIMEN_CONTAINER/ORDER/OBSERVATION_REQUEST/PRIOR_RESULT/ORDER_PRIOR/TIMING_PRIOR", requiredOnce, optionalRepeating, "", whyOML35},
	{"2.6", "ORB_O28", "RESPONSE/PATIENT/ORDER", requiredOnce, optionalRepeating, "", whyORB28},
	{"2.6", "ORB_O28", "RESPONSE/PATIENT/ORDER/TIMING", requiredOnce, optionalRepeating, "", whyORB28},
	{"2.6", "ORI_O24", "RESPONSE/ORDER/TIMING", requiredOnce, optionalRepeating, "", whyORI24},
	{"2.6", "RSP_Z82", "QUERY_RESPONSE/COMMON_ORDER/TIMING", requiredOnce, optionalRepeating, "", whyRSPZ82},
	{"2.6", "RSP_Z82", "QUERY_RESPONSE/COMMON_ORDER/ENCODED_ORDER/TIMING_ENCODED", requiredOnce, optionalRepeating, "", whyRSPZ82},
	{"2.5", "OML_O21", "ORDER/TIIMING", optionalRepeating, optionalRepeating, "TIMING", whyTiming},
	{"2.5", "OML_O33", "SPECIMEN/ORDER/TIIMING", optionalRepeating, optionalRepeating, "TIMING", whyTiming},
	{"2.5", "OML_O35", "SPECIMEN/SPECIMEN_CONTAINER/ORDER/TIIMING", optionalRepeating, optionalRepeating, "TIMING", whyTiming},
	{"2.5.1", "OML_O21", "ORDER/TIIMING", optionalRepeating, optionalRepeating, "TIMING", whyTiming},
	{"2.5.1", "OML_O33", "SPECIMEN/ORDER/TIIMING", optionalRepeating, optionalRepeating, "TIMING", whyTiming},
	{"2.5.1", "OML_O35", "SPECIMEN/SPECIMEN_CONTAINER/ORDER/TIIMING", optionalRepeating, optionalRepeating, "TIMING", whyTiming},
}

// repairVersion applies the field and element repairs of sv's version to sv. It fails when a
// repair no longer matches the source.
func repairVersion(sv *srcVersion, fields []fieldRepair, elems []elementRepair) error {
	for _, r := range fields {
		if r.version != sv.name {
			continue
		}
		at := fmt.Sprintf("%s segment %s-%d", sv.name, r.segment, r.seq)
		s, ok := sv.segments[r.segment]
		if !ok || r.seq < 1 || r.seq > len(s.Fields) {
			return fmt.Errorf("repair %s: the source has no such field", at)
		}
		f := &s.Fields[r.seq-1]
		if f.Opt != r.from {
			return fmt.Errorf("repair %s: the source has opt %d, not the faulty %d this repair corrects (%s); remove the repair if the source is fixed", at, f.Opt, r.from, r.why)
		}
		f.Opt = r.to
	}
	for _, r := range elems {
		if r.version != sv.name {
			continue
		}
		at := fmt.Sprintf("%s message %s group %s", sv.name, r.structure, r.path)
		m, ok := sv.messages[r.structure]
		if !ok {
			return fmt.Errorf("repair %s: the source has no such message", at)
		}
		n := findGroup(m.Segments.Segments, strings.Split(r.path, "/"))
		if n == nil {
			return fmt.Errorf("repair %s: the source has no such group; remove the repair if the source is fixed", at)
		}
		if got := [2]int{n.Min, n.Max}; got != r.from {
			return fmt.Errorf("repair %s: the source has %d..%d, not the faulty %d..%d this repair corrects (%s); remove the repair if the source is fixed", at, got[0], got[1], r.from[0], r.from[1], r.why)
		}
		n.Min, n.Max = r.to[0], r.to[1]
		if r.rename != "" {
			name := r.rename
			n.Name = &name
		}
	}
	return nil
}

// findGroup returns the group node that path names, or nil. The nodes are the source's and
// are changed in place.
func findGroup(nodes []srcNode, path []string) *srcNode {
	for i := range nodes {
		n := &nodes[i]
		if n.Children == nil || n.Name == nil || *n.Name != path[0] {
			continue
		}
		if len(path) == 1 {
			return n
		}
		return findGroup(n.Children, path[1:])
	}
	return nil
}

// checkRepairsTargetVersions fails when a repair names a version the generator does not read,
// which would leave it unapplied without a word.
func checkRepairsTargetVersions(versions []string) error {
	known := map[string]bool{}
	for _, v := range versions {
		known[v] = true
	}
	for _, r := range fieldRepairs {
		if !known[r.version] {
			return fmt.Errorf("repair %s %s-%d: version %s is not read", r.version, r.segment, r.seq, r.version)
		}
	}
	for _, r := range elementRepairs {
		if !known[r.version] {
			return fmt.Errorf("repair %s %s %s: version %s is not read", r.version, r.structure, r.path, r.version)
		}
	}
	return nil
}
