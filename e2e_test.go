package escala_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/escala-img/escala/internal/tools/fakescaler"
	"github.com/escala-img/escala/internal/tools/progtest"
	"github.com/escala-img/escala/internal/tools/sample"
	"github.com/escala-img/escala/scaler"
)

// runClient runs the client program on image data and returns its exit
// code, its output and the path of the saved file.
func runClient(t *testing.T, path, port string, data []byte) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "upload"), filepath.Join(dir, "imagen_escalada.jpg")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "--ip", "127.0.0.1", "--port", port, "--image", in, "--out", out)
	output, err := cmd.CombinedOutput()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(output), out
}

// checkResult checks that the file at path is a one-channel JPEG of
// exactly half the size of the image in data, within a mean of 1.5 levels
// of the in-process reference (the difference is JPEG's quantisation).
func checkResult(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, format, err := scaler.DecodeConfig(bytes.NewReader(f), nil); err != nil || format != scaler.JPEG {
		t.Fatalf("saved file is %v, %v; want a JPEG", format, err)
	}
	img, err := scaler.Decode(bytes.NewReader(f), nil)
	if err != nil {
		t.Fatal(err)
	}
	gray, ok := img.(*image.Gray)
	want := reference(t, data)
	if !ok || gray.Rect.Size() != want.Rect.Size() {
		t.Fatalf("saved %T %v, want a one-channel %v", img, img.Bounds(), want.Rect.Size())
	}
	if d := meanAbsDiff(gray, want); d > 1.5 {
		t.Errorf("saved result differs from the in-process reference by %.2f levels on average, want ≤ 1.5", d)
	}
}

func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the example programs")
	}
	bins := progtest.Build(t, "scaleserver", "asyncserver", "client")
	scaleSrv := progtest.Start(t, bins["scaleserver"], 1, "--ip", "127.0.0.1", "--port", "0")
	gateway := progtest.Start(t, bins["asyncserver"], 2, "--ip", "127.0.0.1", "--port", "0",
		"--scaler", scaleSrv.Addr(), "--http", "127.0.0.1:0", "--dir", filepath.Join(t.TempDir(), "scaled_images"))
	port := gateway.Port(t)
	jpg, png := sample.JPEG(640, 480), sample.PNG(641, 481)

	for name, data := range map[string][]byte{"jpeg": jpg, "png": png} {
		t.Run("client "+name, func(t *testing.T) {
			code, out, saved := runClient(t, bins["client"], port, data)
			if code != 0 {
				t.Fatalf("client exited %d:\n%s", code, out)
			}
			if !strings.Contains(out, "available at: http://") {
				t.Errorf("client printed no link:\n%s", out)
			}
			checkResult(t, saved, data)
		})
	}

	t.Run("original client", func(t *testing.T) {
		line := rawUpload(t, gateway.Addr(), jpg)
		link, ok := strings.CutPrefix(line, "Imagen escalada disponible en: ")
		if !ok || !strings.HasSuffix(link, "\n") {
			t.Fatalf("reply %q, want the link line", line)
		}
		saved := filepath.Join(t.TempDir(), "out.jpg")
		download(t, strings.TrimSpace(link), saved)
		checkResult(t, saved, jpg)
	})

	t.Run("original client garbage", func(t *testing.T) {
		line := rawUpload(t, gateway.Addr(), []byte("this is not an image at all"))
		if !strings.HasPrefix(line, "Error: ") || strings.Count(line, "\n") != 1 {
			t.Errorf("reply to garbage = %q, want one error line", line)
		}
		// The next client is served.
		if line := rawUpload(t, gateway.Addr(), jpg); !strings.HasPrefix(line, "Imagen escalada disponible en: ") {
			t.Errorf("reply after garbage = %q", line)
		}
	})

	t.Run("client on garbage", func(t *testing.T) {
		code, out, _ := runClient(t, bins["client"], port, []byte("\xff\xd8\xff\xe0 truncated"))
		if code != 1 || !strings.Contains(out, "invalid image") || strings.Count(strings.TrimSpace(out), "\n") > 3 {
			t.Errorf("client on a broken JPEG exited %d with:\n%s", code, out)
		}
	})

	t.Run("original gateway against scale server", func(t *testing.T) {
		c, err := net.Dial("tcp", scaleSrv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		binary.Write(c, binary.BigEndian, uint32(len(jpg)))
		c.Write(jpg)
		var n uint32
		if err := binary.Read(c, binary.BigEndian, &n); err != nil {
			t.Fatal(err)
		}
		reply := make([]byte, n)
		if _, err := io.ReadFull(c, reply); err != nil {
			t.Fatal(err)
		}
		cfg, format, err := scaler.DecodeConfig(bytes.NewReader(reply), nil)
		if err != nil || format != scaler.JPEG || cfg.Width != 320 || cfg.Height != 240 {
			t.Errorf("framed reply is %v %dx%d, %v; want a 320x240 JPEG", format, cfg.Width, cfg.Height, err)
		}
	})

	t.Run("gateway against framed-only scale server", func(t *testing.T) {
		old := progtest.Start(t, bins["asyncserver"], 2, "--ip", "127.0.0.1", "--port", "0",
			"--scaler", fakescaler.Start(t, false).Addr, "--scaler-protocol", "framed", "--http", "127.0.0.1:0", "--dir", t.TempDir())
		code, out, saved := runClient(t, bins["client"], old.Port(t), jpg)
		if code != 0 {
			t.Fatalf("client exited %d:\n%s", code, out)
		}
		checkResult(t, saved, jpg)
	})

	t.Run("scale server down", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		downAddr := l.Addr().String()
		l.Close()
		lonely := progtest.Start(t, bins["asyncserver"], 2, "--ip", "127.0.0.1", "--port", "0",
			"--scaler", downAddr, "--http", "127.0.0.1:0", "--dir", t.TempDir())
		code, out, _ := runClient(t, bins["client"], lonely.Port(t), jpg)
		if code != 1 || !strings.Contains(out, "unavailable") {
			t.Errorf("client with the scale server down exited %d with:\n%s", code, out)
		}
	})

	t.Run("signed links", func(t *testing.T) {
		secret := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(secret, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		signed := progtest.Start(t, bins["asyncserver"], 2, "--port", "0", "--scaler", scaleSrv.Addr(),
			"--http", "127.0.0.1:0", "--dir", filepath.Join(t.TempDir(), "scaled_images"),
			"--link-secret", "@"+secret, "--link-ttl", "10m")
		link := linkOf(rawUpload(t, signed.Addr(), jpg))
		if !strings.Contains(link, "?e=") || !strings.Contains(link, "&s=") {
			t.Fatalf("link %q carries no expiry and signature", link)
		}
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || resp.Header.Get("Etag") == "" {
			t.Errorf("GET the signed link: %s, Cache-Control %q, ETag %q", resp.Status, resp.Header.Get("Cache-Control"), resp.Header.Get("Etag"))
		}
		altered := strings.Replace(link, "&s=", "&s=A", 1)
		altered = altered[:len(altered)-1] // the same length, another signature
		for _, bad := range []string{link[:strings.IndexByte(link, '?')], altered, strings.Replace(link, "?e=", "?e=1", 1)} {
			resp, err := http.Get(bad)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s: %s, want 404 or 403", bad, resp.Status)
			}
		}
	})

	t.Run("port in use", func(t *testing.T) {
		_, busy, _ := net.SplitHostPort(scaleSrv.Addr())
		cmd := exec.Command(bins["scaleserver"], "--port", busy)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "127.0.0.1:"+busy) {
			t.Errorf("scaleserver on a busy port: %v\n%s\nwant exit 1 naming the address", err, out)
		}
	})
}

// rawUpload sends data as the original client does and returns the
// line it gets back; it fails t if nothing comes back.
func rawUpload(t *testing.T, addr string, data []byte) string {
	t.Helper()
	reply, err := progtest.RawUpload(addr, data)
	if err != nil {
		t.Fatal(err)
	}
	return reply
}

func download(t *testing.T, link, path string) {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", link, resp.Status)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
