package mllp

import (
	"testing"

	mllppkg "github.com/courier-hl7/courier/mllp"
)

// TestACKText: the reason given for a negative acknowledgement, from MSA-3 and the first
// ERR, each said once.
func TestACKText(t *testing.T) {
	const msh = "MSH|^~\\&|R|F|S|F|20261127083000||ACK^A01^ACK|A1|P|2.5\r"
	for _, tt := range []struct {
		name, ack, want string
	}{
		{"MSA-3 only", msh + "MSA|AE|C1|unknown patient\r", "unknown patient"},
		{"MSA-3 and a different ERR-8", msh + "MSA|AE|C1|rejected\rERR||||E||||unknown patient\r", "rejected; unknown patient"},
		{"the same text in MSA-3 and ERR-8", msh + "MSA|AR|C1|unknown patient\rERR||||E||||unknown patient\r", "unknown patient"},
		{"ERR-3 code only", msh + "MSA|AE|C1\rERR|||207^Application internal error^HL70357|E\r", "Application internal error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ackText(mllppkg.Response{Raw: []byte(tt.ack)}); got != tt.want {
				t.Errorf("ackText = %q, want %q", got, tt.want)
			}
		})
	}
}
