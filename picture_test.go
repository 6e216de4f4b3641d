package escala_test

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
)

// soakPicture draws an opaque w×h picture that seed makes unlike any
// other: a gradient between two colours in some direction, a few flat
// rectangles with hard edges, and noise.
func soakPicture(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, 0x50a6))
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	var from, to [3]float64
	for c := range 3 {
		from[c], to[c] = 255*rng.Float64(), 255*rng.Float64()
	}
	angle := 2 * math.Pi * rng.Float64()
	dx, dy := math.Cos(angle)/float64(4*w), math.Sin(angle)/float64(4*h)
	noise := rng.Uint64() | 1
	for y := range h {
		row := m.Pix[y*m.Stride:][:4*w]
		for x := range w {
			t := 0.5 + dx*float64(x) + dy*float64(y) // within [0, 1]
			noise ^= noise << 13
			noise ^= noise >> 7
			noise ^= noise << 17
			n := float64(noise>>60) - 7.5 // ±8 levels
			for c := range 3 {
				row[4*x+c] = uint8(max(0, min(255, from[c]+t*(to[c]-from[c])+n)))
			}
			row[4*x+3] = 255
		}
	}
	for range 6 {
		x0, y0 := rng.IntN(w), rng.IntN(h)
		r := image.Rect(x0, y0, x0+1+rng.IntN(w/3), y0+1+rng.IntN(h/3)).Intersect(m.Rect)
		c := color.NRGBA{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), 255}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				m.SetNRGBA(x, y, c)
			}
		}
	}
	return m
}
