// Package reliability holds Courier's end-to-end reliability tests: the fault tests of
// ../shared/RELIABILITY.md (1 kill -9, 4 disk full, 5 downstream outage, 6 poison message,
// 7 duplicates, 15 SIGTERM) and a fault-free loopback run, in a size that fits CI.
//
// Every test drives the real binary: TestMain builds ./cmd/courier once, and each test runs
// `courier serve` as a child process on a generated courier.yaml in its own temporary
// directory, with an MLLP source on a free 127.0.0.1 port. Senders (mllp.Client, one per
// goroutine) and receivers (mllp.Server) run inside the test process; the receivers are the
// destinations Courier delivers to. Operator actions go through the CLI (`courier messages`).
//
// One checker ends every test: every message a sender got an AA for was delivered to every
// destination that should have it, each stored once; per destination, first deliveries come
// in commit order (strict FIFO) or in commit order per key (order_by); per sender, in send
// order; a message is delivered again only across a crash, and the number of such duplicates
// stays under the bound the test states. The child's log must not contain the patient name or
// MRNs of the messages (RELIABILITY test 19 in miniature).
//
// The package has no code outside its tests. See docs/RELIABILITY.md for what each test does,
// how to run it and the figures it measured.
package reliability
