// Package batch sends images to a gateway and saves the scaled results:
// the work of the client program, one image at a time as it always did, or
// many at once, from files, folders and standard input, with a report of
// a line per file, a progress bar on a terminal, and a summary. Only the
// example programs import it; the library does not.
//
// A batch is made in three steps:
//
//	inputs, err := batch.Inputs(images, dirs) // the files to send
//	jobs, err := batch.Plan(inputs, "scaled")  // where each result goes
//	r := &batch.Runner{Client: c, Bar: batch.IsTerminal(os.Stdout)}
//	sum := r.Run(ctx, jobs)                    // sum.Failed > 0: exit 1
//
// Errors are worded for the person at the terminal, one line each: "cannot
// reach the gateway at 127.0.0.1:8080: connection refused" rather than the
// layers of the transport that a program would see.
package batch
