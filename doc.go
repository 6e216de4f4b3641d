// Package escala scales images asynchronously: a client sends an image to
// a gateway; the gateway turns it to grayscale, has a scale server resize
// it (to half its size by default), stores the result and answers with a
// link where it can be downloaded.
//
// # The flow
//
//	client ──image──▶ gateway ──gray pixels──▶ scale server
//	  ▲                 │  ◀──scaled pixels──┘
//	  │                 ├─ JPEG ─▶ store (a folder)
//	  └──────link───────┘            │
//	  └────────── HTTP GET ──────────┘
//
// Each arrow is a piece of this module, and the pieces meet at interfaces:
//
//   - Package scaler decodes images with limits (JPEG, PNG, GIF, BMP,
//     TIFF, WebP), converts them to grayscale as Pillow's convert("L")
//     does, resamples them with antialiasing filters, applies EXIF
//     orientation and encodes JPEG or PNG. Its [scaler.Interface] is
//     anything that scales: [scaler.Local] in this process.
//   - Package transport carries images over TCP: a [transport.Server]
//     with a [transport.Handler], shaped like net/http, and a
//     [transport.Client] that pools connections. A Client is a
//     scaler.Interface too, so a remote scale server is just another way
//     to scale; [transport.ScaleHandler] is the scale server's handler and
//     [transport.Balancer] spreads work over several. The server also
//     speaks the framing and the raw uploads of the original Python
//     programs.
//   - Package store keeps results behind [store.Interface], with a
//     folder implementation, [store.Dir], that never leaves a half-written
//     file, and [store.Handler], which serves what is stored over HTTP.
//   - [Gateway], in this package, is the gateway's transport.Handler: it
//     composes a scaler.Interface and a store.Interface, knowing neither's
//     implementation.
//
// The programs under examples/ wire these together: scaleserver,
// asyncserver (the gateway), client, and demo, which runs all of it in
// one process.
package escala
