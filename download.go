package escala

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

// Download fetches the result at link with client (http.DefaultClient when
// nil) and saves it as the file path, which it replaces whole or not at
// all: the bytes go to a temporary file in the same folder that is renamed
// over path once complete. It returns the number of bytes saved. A reply
// other than 200 OK is an error that quotes the status.
func Download(ctx context.Context, client *http.Client, link, path string) (int64, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return 0, fmt.Errorf("escala: download: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("escala: download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("escala: download %s: %s", link, resp.Status)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".download-*")
	if err != nil {
		return 0, fmt.Errorf("escala: download: %w", err)
	}
	n, err := io.Copy(f, resp.Body)
	if err == nil {
		err = f.Chmod(0o644) // a temporary file starts private
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return 0, fmt.Errorf("escala: download %s: %w", link, err)
	}
	return n, nil
}
