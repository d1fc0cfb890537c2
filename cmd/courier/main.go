// Command courier is an HL7 v2 integration engine in one binary.
//
// See README.md for the quick start and docs/ for the manual.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/courier-hl7/courier/internal/cli"
	_ "github.com/courier-hl7/courier/internal/connector/all" // every connector
	"github.com/courier-hl7/courier/internal/gctune"
	_ "time/tzdata" // time zones in batch schedules and FHIR conversion work without the system's zoneinfo
)

func main() {
	gctune.Start() // fewer collections while the heap is small; GOGC or GOMEMLIMIT set by the operator win
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
