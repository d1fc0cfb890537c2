package hl7

// header returns field n of the first segment (MSH).
func (m *Message) header(n int) Value {
	if len(m.segs) == 0 {
		return Value{m: m}
	}
	return Segment{m: m, i: 0}.Field(n)
}

// Type returns the message type, MSH-9.1 (ADT, ORU, ACK...).
func (m *Message) Type() string { return m.header(9).Comp(1).String() }

// Trigger returns the trigger event, MSH-9.2 (A01, R01...).
func (m *Message) Trigger() string { return m.header(9).Comp(2).String() }

// Structure returns the message structure: MSH-9.3 when the sender gave it; "ACK" for an
// acknowledgement; otherwise type_trigger (ADT_A04). The version's own trigger-to-structure
// table (ADT^A04 uses ADT_A01) is in package hl7/dict.
func (m *Message) Structure() string {
	if s := m.header(9).Comp(3).String(); s != "" {
		return s
	}
	t, e := m.Type(), m.Trigger()
	switch {
	case t == "ACK":
		return "ACK"
	case e == "":
		return t
	}
	return t + "_" + e
}

// ControlID returns the message control ID, MSH-10.
func (m *Message) ControlID() string { return m.header(10).String() }

// Version returns the version ID, MSH-12.1 (2.3, 2.5.1...).
func (m *Message) Version() string { return m.header(12).Comp(1).String() }

// ProcessingID returns MSH-11.1: P (production), T (training) or D (debugging).
func (m *Message) ProcessingID() string { return m.header(11).Comp(1).String() }

// SendingApplication returns MSH-3, a hierarchic designator (HD).
func (m *Message) SendingApplication() Value { return m.header(3) }

// SendingFacility returns MSH-4 (HD).
func (m *Message) SendingFacility() Value { return m.header(4) }

// ReceivingApplication returns MSH-5 (HD).
func (m *Message) ReceivingApplication() Value { return m.header(5) }

// ReceivingFacility returns MSH-6 (HD).
func (m *Message) ReceivingFacility() Value { return m.header(6) }

// Timestamp returns MSH-7, the date/time of the message, as written.
func (m *Message) Timestamp() Value { return m.header(7) }

// AcceptAckType returns MSH-15 (AL, NE, ER, SU, or "" when absent).
func (m *Message) AcceptAckType() string { return m.header(15).String() }

// ApplicationAckType returns MSH-16 (AL, NE, ER, SU, or "" when absent).
func (m *Message) ApplicationAckType() string { return m.header(16).String() }

// AckMode tells original from enhanced acknowledgement mode.
type AckMode uint8

const (
	// OriginalMode: one acknowledgement, AA, AE or AR, from the receiving application.
	OriginalMode AckMode = iota
	// EnhancedMode: an accept acknowledgement (CA, CE, CR) once the message is in safe
	// storage, and an application acknowledgement later, each as MSH-15/16 ask.
	EnhancedMode
)

func (a AckMode) String() string {
	if a == EnhancedMode {
		return "enhanced"
	}
	return "original"
}

// AckMode returns EnhancedMode when MSH-15 or MSH-16 holds a value, OriginalMode when both are
// empty, null or absent (HL7 v2.5 chapter 2.9.1).
func (m *Message) AckMode() AckMode {
	a, b := m.header(15), m.header(16)
	if len(a.Raw()) > 0 && !a.IsNull() || len(b.Raw()) > 0 && !b.IsNull() {
		return EnhancedMode
	}
	return OriginalMode
}
