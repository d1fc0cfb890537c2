// Package channel is the destination that hands a message to another channel of the same
// Courier process: the target channel stores it (with its own duplicate check) and runs its
// own steps and destinations.
package channel

import (
	"context"
	"fmt"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
)

const fieldChannel = "channel"

// Spec describes the channel destination.
func Spec() config.Spec {
	return config.Spec{
		Name:    "channel",
		Summary: "Hands each message to another channel in the same process.",
		Description: "The target channel receives the message as if its own source had: it is stored there " +
			"(in the same transaction as that channel's queue entries), checked for duplicates, run through that " +
			"channel's steps and delivered by its destinations. The delivery counts as done once the target " +
			"channel has stored the message, whatever its `ack` mode (immediate included).",
		Fields: []config.Field{
			{Name: fieldChannel, Type: config.String, Required: true, Description: "Name of the channel to hand messages to.", Example: "lab-results"},
		},
		Examples: []string{"type: channel\nchannel: archive\n"},
	}
}

func init() {
	connector.MustRegisterDestination(Spec(), New)
}

// New builds a channel destination from its configuration.
func New(n *config.Node, deps connector.Deps) (connector.Destination, error) {
	target := n.String(fieldChannel)
	if target == deps.Channel {
		return nil, n.Errorf(fieldChannel, "a channel cannot deliver to itself")
	}
	return &destination{target: target, from: deps.Channel, lookup: deps.Receiver}, nil
}

type destination struct {
	target string
	from   string
	lookup func(string) (connector.Receiver, bool)
}

var _ connector.Destination = (*destination)(nil)

// Send implements connector.Destination.
func (d *destination) Send(ctx context.Context, out *connector.Outbound) (connector.Response, error) {
	var r connector.Receiver
	ok := false
	if d.lookup != nil {
		r, ok = d.lookup(d.target)
	}
	if !ok {
		return connector.Response{}, fmt.Errorf("channel %q does not exist or is not running", d.target)
	}
	raw := append([]byte(nil), out.Content...)
	// Durable: the target stores the message before answering even when its ACK mode is
	// immediate, so that a stored message is never handed over again.
	rep, err := r.Receive(ctx, &connector.Inbound{Raw: raw, Remote: "channel:" + d.from, ReceivedAt: time.Now(), Durable: true})
	if err != nil {
		return connector.Response{}, fmt.Errorf("channel %s: %w", d.target, err)
	}
	resp := connector.Response{OK: rep.Stored, Code: "STORED", Raw: rep.Ack}
	if rep.Duplicate {
		resp.Code = "DUPLICATE"
	}
	if a, err := hl7.Parse(rep.Ack); err == nil && rep.Ack != nil {
		if code := a.Get("MSA-1"); code != "" {
			resp.Code = code
			resp.Text = a.Get("MSA-3")
		}
	}
	return resp, nil
}

// Close implements connector.Destination.
func (d *destination) Close(context.Context) error { return nil }
