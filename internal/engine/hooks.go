package engine

import (
	"context"

	"github.com/courier-hl7/courier/hl7"
)

// Processor is a channel's or a destination's filter and transform steps. The engine gives it
// a message it may edit (a clone of what it must keep) and stores or sends what it returns.
// Implementations must be safe for concurrent use: a channel processes messages in parallel.
type Processor interface {
	Process(ctx context.Context, m *hl7.Message) (Result, error)
}

// Result is what the steps made of one message.
type Result struct {
	// Filtered stops the message: it is stored with status FILTERED (or the destination entry
	// as FILTERED) and, on a channel, acknowledged positively.
	Filtered bool
	Reason   string
	// Outputs are the messages to go on with: usually the one given, edited; several after a
	// split. Each output is stored (channel) or sent (destination) in order.
	Outputs []Output
}

// Output is one message to go on with.
type Output struct {
	Message *hl7.Message
	// Destinations restricts delivery to these destinations (a route step); nil means all.
	Destinations []string
	// Body, when set, is what a destination sends instead of Message's HL7 bytes: the message
	// encoded as JSON, XML or a FHIR Bundle by a destination's steps. Message stays the HL7
	// message it came from (for file name templates, logs). Channel steps may not set it: the
	// store keeps HL7.
	Body        []byte
	ContentType string
}

// Pass returns the result that lets m through unchanged to every destination.
func Pass(m *hl7.Message) Result { return Result{Outputs: []Output{{Message: m}}} }

// Validator checks a message before the channel's steps. Problems with severity E (or F)
// reject the message: it is stored with status ERROR and answered AE (CE in enhanced mode)
// with an ERR segment per problem.
type Validator interface {
	Validate(m *hl7.Message) []hl7.AckError
}

// TypeFilter passes messages whose type (MSH-9.1) or type^trigger (MSH-9.1^MSH-9.2) is listed;
// an empty list passes everything. It is the filter channels have before the transform steps
// are configured.
type TypeFilter []string

// Process implements Processor.
func (f TypeFilter) Process(_ context.Context, m *hl7.Message) (Result, error) {
	if len(f) == 0 {
		return Pass(m), nil
	}
	t, e := m.Type(), m.Type()+"^"+m.Trigger()
	for _, want := range f {
		if want == t || want == e {
			return Pass(m), nil
		}
	}
	return Result{Filtered: true, Reason: "message type " + e + " is not in the channel's types"}, nil
}
