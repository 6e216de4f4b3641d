//go:build !amd64

package jpegenc

// fdctRow transforms and quantises len(zz) blocks side by side, as
// fdctRowGo does.
func fdctRow(zz []coefs, masks []uint64, pix []byte, off *[8]int, x int, t *quantizer) {
	fdctRowGo(zz, masks, pix, off, x, t)
}
