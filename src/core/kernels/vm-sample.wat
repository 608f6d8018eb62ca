;; The VM sampling kernels of field/vm-kernels.ts with 128-bit SIMD, four components at a time
;; (hand-written; assembled by scripts/build-wasm.mjs). One pair (plane, line) per call; every
;; address is a byte offset into this module's memory, and C (components) is a multiple of 4.
;;
;; A tap record (32 bytes per point, field/vm-wasm.ts fills them) holds, as field/vm-kernels.ts
;; Taps: i32 plane offset (floats, of texel (x0, y0) times C), f32 w00 w01 w10 w11, i32 line
;; offset (floats, l0 times C), f32 fl (weight of l0 + 1), f32 gl = 1 - fl.
;;   pv[c] = plane[b00 + c] w00 + plane[b00 + C + c] w01 + plane[b00 + rs + c] w10 + plane[b00 + rs + C + c] w11
;;   lv[c] = line[l0 + c] gl + line[l0 + C + c] fl
;; fwd_products: out[s * ostride + c] = pv[c] lv[c]   (ostride in bytes; the pair's column offset added by the caller)
;; fwd_sum     : out[s] += sum_c pv[c] lv[c]           (four lane sums, then the lanes added in order)
;; bwd_products: g = dOut[s * ostride + c]; gplane[b.. + c] += g lv[c] w..; gline[l.. + c] += g pv[c] (gl | fl)
;; bwd_sum     : the same with g = dOut[s] for every c; points with dOut[s] = 0 are skipped
;; The backward runs over the components c0..c1-1 (bytes cb0..cb1) and adds point after point, so
;; each gradient entry sums its points in point order for any cut of the components.
(module
  (memory (export "memory") 1)
  (func (export "fwd_products") (param $plane i32) (param $line i32) (param $taps i32) (param $out i32)
    (param $n i32) (param $C i32) (param $rs i32) (param $ostride i32)
    (local $s i32) (local $rec i32) (local $pb i32) (local $lb i32) (local $o i32) (local $c i32) (local $cb i32) (local $rsb i32) (local $p i32)
    (local $w00 v128) (local $w01 v128) (local $w10 v128) (local $w11 v128) (local $fl v128) (local $gl v128) (local $pv v128) (local $lv v128)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $rsb (i32.shl (local.get $rs) (i32.const 2)))
    (local.set $s (i32.const 0))
    (block $send (loop $sloop
      (br_if $send (i32.ge_u (local.get $s) (local.get $n)))
      (local.set $rec (i32.add (local.get $taps) (i32.shl (local.get $s) (i32.const 5))))
      (local.set $pb (i32.add (local.get $plane) (i32.shl (i32.load (local.get $rec)) (i32.const 2))))
      (local.set $w00 (f32x4.splat (f32.load offset=4 (local.get $rec))))
      (local.set $w01 (f32x4.splat (f32.load offset=8 (local.get $rec))))
      (local.set $w10 (f32x4.splat (f32.load offset=12 (local.get $rec))))
      (local.set $w11 (f32x4.splat (f32.load offset=16 (local.get $rec))))
      (local.set $lb (i32.add (local.get $line) (i32.shl (i32.load offset=20 (local.get $rec)) (i32.const 2))))
      (local.set $fl (f32x4.splat (f32.load offset=24 (local.get $rec))))
      (local.set $gl (f32x4.splat (f32.load offset=28 (local.get $rec))))
      (local.set $o (i32.add (local.get $out) (i32.mul (local.get $s) (local.get $ostride))))
      (local.set $c (i32.const 0))
      (block $cend (loop $cloop
        (br_if $cend (i32.ge_u (local.get $c) (local.get $cb)))
        (local.set $p (i32.add (local.get $pb) (local.get $c)))
        (local.set $pv (f32x4.add (f32x4.add (f32x4.add
          (f32x4.mul (v128.load (local.get $p)) (local.get $w00))
          (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $cb))) (local.get $w01)))
          (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $rsb))) (local.get $w10)))
          (f32x4.mul (v128.load (i32.add (i32.add (local.get $p) (local.get $rsb)) (local.get $cb))) (local.get $w11))))
        (local.set $p (i32.add (local.get $lb) (local.get $c)))
        (local.set $lv (f32x4.add
          (f32x4.mul (v128.load (local.get $p)) (local.get $gl))
          (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $cb))) (local.get $fl))))
        (v128.store (i32.add (local.get $o) (local.get $c)) (f32x4.mul (local.get $pv) (local.get $lv)))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $cloop)))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $sloop))))

  (func (export "fwd_sum") (param $plane i32) (param $line i32) (param $taps i32) (param $out i32)
    (param $n i32) (param $C i32) (param $rs i32)
    (local $s i32) (local $rec i32) (local $pb i32) (local $lb i32) (local $c i32) (local $cb i32) (local $rsb i32) (local $p i32)
    (local $w00 v128) (local $w01 v128) (local $w10 v128) (local $w11 v128) (local $fl v128) (local $gl v128) (local $pv v128) (local $lv v128) (local $acc v128)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $rsb (i32.shl (local.get $rs) (i32.const 2)))
    (local.set $s (i32.const 0))
    (block $send (loop $sloop
      (br_if $send (i32.ge_u (local.get $s) (local.get $n)))
      (local.set $rec (i32.add (local.get $taps) (i32.shl (local.get $s) (i32.const 5))))
      (local.set $pb (i32.add (local.get $plane) (i32.shl (i32.load (local.get $rec)) (i32.const 2))))
      (local.set $w00 (f32x4.splat (f32.load offset=4 (local.get $rec))))
      (local.set $w01 (f32x4.splat (f32.load offset=8 (local.get $rec))))
      (local.set $w10 (f32x4.splat (f32.load offset=12 (local.get $rec))))
      (local.set $w11 (f32x4.splat (f32.load offset=16 (local.get $rec))))
      (local.set $lb (i32.add (local.get $line) (i32.shl (i32.load offset=20 (local.get $rec)) (i32.const 2))))
      (local.set $fl (f32x4.splat (f32.load offset=24 (local.get $rec))))
      (local.set $gl (f32x4.splat (f32.load offset=28 (local.get $rec))))
      (local.set $acc (v128.const f32x4 0 0 0 0))
      (local.set $c (i32.const 0))
      (block $cend (loop $cloop
        (br_if $cend (i32.ge_u (local.get $c) (local.get $cb)))
        (local.set $p (i32.add (local.get $pb) (local.get $c)))
        (local.set $pv (f32x4.add (f32x4.add (f32x4.add
          (f32x4.mul (v128.load (local.get $p)) (local.get $w00))
          (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $cb))) (local.get $w01)))
          (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $rsb))) (local.get $w10)))
          (f32x4.mul (v128.load (i32.add (i32.add (local.get $p) (local.get $rsb)) (local.get $cb))) (local.get $w11))))
        (local.set $p (i32.add (local.get $lb) (local.get $c)))
        (local.set $lv (f32x4.add
          (f32x4.mul (v128.load (local.get $p)) (local.get $gl))
          (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $cb))) (local.get $fl))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $pv) (local.get $lv))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $cloop)))
      (local.set $p (i32.add (local.get $out) (i32.shl (local.get $s) (i32.const 2))))
      (f32.store (local.get $p) (f32.add (f32.load (local.get $p))
        (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
          (f32x4.extract_lane 2 (local.get $acc))) (f32x4.extract_lane 3 (local.get $acc)))))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $sloop))))

  ;; $sum: 1 for the density's mode (one dOut per point, at dout + 4 s), 0 for products (dout + s ostride + c)
  (func (export "bwd") (param $plane i32) (param $line i32) (param $taps i32) (param $dout i32) (param $gplane i32) (param $gline i32)
    (param $n i32) (param $C i32) (param $rs i32) (param $ostride i32) (param $cb0 i32) (param $cb1 i32) (param $sum i32)
    (local $s i32) (local $rec i32) (local $po i32) (local $lo i32) (local $d i32) (local $c i32) (local $cb i32) (local $rsb i32) (local $p i32) (local $q i32)
    (local $w00 v128) (local $w01 v128) (local $w10 v128) (local $w11 v128) (local $fl v128) (local $gl v128) (local $pv v128) (local $lv v128)
    (local $g v128) (local $gs f32) (local $t v128)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $rsb (i32.shl (local.get $rs) (i32.const 2)))
    (local.set $s (i32.const 0))
    (block $send (loop $sloop
      (br_if $send (i32.ge_u (local.get $s) (local.get $n)))
      (block $next
        (if (local.get $sum) (then
          (local.set $gs (f32.load (i32.add (local.get $dout) (i32.shl (local.get $s) (i32.const 2)))))
          (br_if $next (f32.eq (local.get $gs) (f32.const 0)))
          (local.set $g (f32x4.splat (local.get $gs)))))
        (local.set $rec (i32.add (local.get $taps) (i32.shl (local.get $s) (i32.const 5))))
        (local.set $po (i32.shl (i32.load (local.get $rec)) (i32.const 2)))
        (local.set $w00 (f32x4.splat (f32.load offset=4 (local.get $rec))))
        (local.set $w01 (f32x4.splat (f32.load offset=8 (local.get $rec))))
        (local.set $w10 (f32x4.splat (f32.load offset=12 (local.get $rec))))
        (local.set $w11 (f32x4.splat (f32.load offset=16 (local.get $rec))))
        (local.set $lo (i32.shl (i32.load offset=20 (local.get $rec)) (i32.const 2)))
        (local.set $fl (f32x4.splat (f32.load offset=24 (local.get $rec))))
        (local.set $gl (f32x4.splat (f32.load offset=28 (local.get $rec))))
        (local.set $d (i32.add (local.get $dout) (i32.mul (local.get $s) (local.get $ostride))))
        (local.set $c (local.get $cb0))
        (block $cend (loop $cloop
          (br_if $cend (i32.ge_u (local.get $c) (local.get $cb1)))
          (if (i32.eqz (local.get $sum)) (then (local.set $g (v128.load (i32.add (local.get $d) (local.get $c))))))
          (local.set $p (i32.add (i32.add (local.get $plane) (local.get $po)) (local.get $c)))
          (local.set $pv (f32x4.add (f32x4.add (f32x4.add
            (f32x4.mul (v128.load (local.get $p)) (local.get $w00))
            (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $cb))) (local.get $w01)))
            (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $rsb))) (local.get $w10)))
            (f32x4.mul (v128.load (i32.add (i32.add (local.get $p) (local.get $rsb)) (local.get $cb))) (local.get $w11))))
          (local.set $p (i32.add (i32.add (local.get $line) (local.get $lo)) (local.get $c)))
          (local.set $lv (f32x4.add
            (f32x4.mul (v128.load (local.get $p)) (local.get $gl))
            (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $cb))) (local.get $fl))))
          ;; the plane's gradient: g lv at the four texels
          (local.set $t (f32x4.mul (local.get $g) (local.get $lv)))
          (local.set $q (i32.add (i32.add (local.get $gplane) (local.get $po)) (local.get $c)))
          (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (f32x4.mul (local.get $t) (local.get $w00))))
          (local.set $p (i32.add (local.get $q) (local.get $cb)))
          (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (f32x4.mul (local.get $t) (local.get $w01))))
          (local.set $p (i32.add (local.get $q) (local.get $rsb)))
          (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (f32x4.mul (local.get $t) (local.get $w10))))
          (local.set $p (i32.add (local.get $p) (local.get $cb)))
          (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (f32x4.mul (local.get $t) (local.get $w11))))
          ;; the line's gradient: g pv at l0 and l0 + 1
          (local.set $t (f32x4.mul (local.get $g) (local.get $pv)))
          (local.set $q (i32.add (i32.add (local.get $gline) (local.get $lo)) (local.get $c)))
          (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (f32x4.mul (local.get $t) (local.get $gl))))
          (local.set $p (i32.add (local.get $q) (local.get $cb)))
          (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (f32x4.mul (local.get $t) (local.get $fl))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br $cloop))))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $sloop))))
)
