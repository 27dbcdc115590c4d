;; The k-means inner loops in SIMD, driven by kmeans-kernel.ts: distances of rows to centres
;; (sq_dists) and the per-centre sums of a batch's rows (add_rows).
;;
;; sq_dists writes out[r*k + c] = sum_j (x_rj - c_cj)^2 (float32) for n rows and k centres, both
;; row-major with a stride of `stride` bytes (a multiple of 16, zero past the last column in rows
;; and centres alike, so the padding adds 0). n must be even and k a multiple of 4 (callers pad).
;; 2 rows x 4 centres of f32x4 accumulators stay in registers and each centre load serves two
;; rows. Small helpers are only called outside the j loop: V8 (Node 20) does not inline wasm
;; calls, and a call per term made the kernel 4x slower.
;;
;; The difference form (not |x|^2 - 2x.c + |c|^2) keeps every term non-negative, so each result
;; is within a small relative bound of the exact distance (kmeans-error-bound.ts). Every value is
;; summed the same way wherever it sits in a block (lane-wise in j order, then lanes
;; (0+1)+(2+3)); f32x4 ops are IEEE-exact and never fused, so the results are identical on every
;; CPU and however callers split the rows.
(module
  (memory (export "memory") 1)

  ;; [hsum a, hsum b, hsum c, hsum d] with hsum v = (v0 + v1) + (v2 + v3)
  (func $hsum4 (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result v128)
    (local $p v128) (local $q v128)
    ;; p = [a0+a1, b0+b1, a2+a3, b2+b3], q the same for c and d
    (local.set $p (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $a) (local.get $b))
      (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b))))
    (local.set $q (f32x4.add
      (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $c) (local.get $d))
      (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d))))
    (f32x4.add
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p) (local.get $q))
      (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p) (local.get $q))))

  (func (export "sq_dists")
    (param $rows i32) (param $n i32) (param $centres i32) (param $k i32) (param $stride i32) (param $out i32)
    (local $r i32) (local $c i32) (local $j i32) (local $o i32) (local $rowOut i32)
    (local $x0 i32) (local $x1 i32) (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local $u v128) (local $v v128) (local $w v128) (local $e v128)
    (local $a00 v128) (local $a01 v128) (local $a02 v128) (local $a03 v128)
    (local $a10 v128) (local $a11 v128) (local $a12 v128) (local $a13 v128)
    (local.set $rowOut (i32.shl (local.get $k) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $x0 (i32.add (local.get $rows) (i32.mul (local.get $r) (local.get $stride))))
      (local.set $x1 (i32.add (local.get $x0) (local.get $stride)))
      (local.set $c (i32.const 0))
      (block $cdone (loop $cloop
        (br_if $cdone (i32.ge_u (local.get $c) (local.get $k)))
        (local.set $c0 (i32.add (local.get $centres) (i32.mul (local.get $c) (local.get $stride))))
        (local.set $c1 (i32.add (local.get $c0) (local.get $stride)))
        (local.set $c2 (i32.add (local.get $c1) (local.get $stride)))
        (local.set $c3 (i32.add (local.get $c2) (local.get $stride)))
        (local.set $a00 (v128.const i32x4 0 0 0 0)) (local.set $a01 (v128.const i32x4 0 0 0 0))
        (local.set $a02 (v128.const i32x4 0 0 0 0)) (local.set $a03 (v128.const i32x4 0 0 0 0))
        (local.set $a10 (v128.const i32x4 0 0 0 0)) (local.set $a11 (v128.const i32x4 0 0 0 0))
        (local.set $a12 (v128.const i32x4 0 0 0 0)) (local.set $a13 (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $jdone (loop $jloop
          (br_if $jdone (i32.ge_u (local.get $j) (local.get $stride)))
          (local.set $u (v128.load (i32.add (local.get $x0) (local.get $j))))
          (local.set $v (v128.load (i32.add (local.get $x1) (local.get $j))))
          ;; a_rc += (x_r - w)^2 for w = centre c, c+1, c+2, c+3 in turn
          (local.set $w (v128.load (i32.add (local.get $c0) (local.get $j))))
          (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.tee $e (f32x4.sub (local.get $u) (local.get $w))) (local.get $e))))
          (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.tee $e (f32x4.sub (local.get $v) (local.get $w))) (local.get $e))))
          (local.set $w (v128.load (i32.add (local.get $c1) (local.get $j))))
          (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.tee $e (f32x4.sub (local.get $u) (local.get $w))) (local.get $e))))
          (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.tee $e (f32x4.sub (local.get $v) (local.get $w))) (local.get $e))))
          (local.set $w (v128.load (i32.add (local.get $c2) (local.get $j))))
          (local.set $a02 (f32x4.add (local.get $a02) (f32x4.mul (local.tee $e (f32x4.sub (local.get $u) (local.get $w))) (local.get $e))))
          (local.set $a12 (f32x4.add (local.get $a12) (f32x4.mul (local.tee $e (f32x4.sub (local.get $v) (local.get $w))) (local.get $e))))
          (local.set $w (v128.load (i32.add (local.get $c3) (local.get $j))))
          (local.set $a03 (f32x4.add (local.get $a03) (f32x4.mul (local.tee $e (f32x4.sub (local.get $u) (local.get $w))) (local.get $e))))
          (local.set $a13 (f32x4.add (local.get $a13) (f32x4.mul (local.tee $e (f32x4.sub (local.get $v) (local.get $w))) (local.get $e))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $jloop)))
        ;; o = out + (r*k + c)*4; row r+1's values are k*4 bytes further
        (local.set $o (i32.add (local.get $out)
          (i32.shl (i32.add (i32.mul (local.get $r) (local.get $k)) (local.get $c)) (i32.const 2))))
        (v128.store (local.get $o)
          (call $hsum4 (local.get $a00) (local.get $a01) (local.get $a02) (local.get $a03)))
        (v128.store (i32.add (local.get $o) (local.get $rowOut))
          (call $hsum4 (local.get $a10) (local.get $a11) (local.get $a12) (local.get $a13)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $cloop)))
      (local.set $r (i32.add (local.get $r) (i32.const 2)))
      (br $rloop))))
  ;; sums[labels[i]] += rows[i] for i < n, in float64. Rows are float32 `stride` bytes apart (as in
  ;; sq_dists), each centre's sums float64 and 2*stride bytes apart. Rows are added in order, one
  ;; exact float32 -> float64 widening and one float64 add per value, so every sum is bit-equal to
  ;; a scalar loop over i.
  (func (export "add_rows") (param $rows i32) (param $n i32) (param $labels i32) (param $sums i32) (param $stride i32)
    (local $i i32) (local $j i32) (local $x i32) (local $s i32) (local $p i32) (local $v v128)
    (local.set $i (i32.const 0))
    (block $idone (loop $iloop
      (br_if $idone (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (i32.add (local.get $rows) (i32.mul (local.get $i) (local.get $stride))))
      (local.set $s (i32.add (local.get $sums)
        (i32.mul
          (i32.load (i32.add (local.get $labels) (i32.shl (local.get $i) (i32.const 2))))
          (i32.shl (local.get $stride) (i32.const 1)))))
      (local.set $j (i32.const 0))
      (block $jdone (loop $jloop
        (br_if $jdone (i32.ge_u (local.get $j) (local.get $stride)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $j))))
        ;; four floats at byte j of the row are four doubles at byte 2j of the sums
        (local.set $p (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 1))))
        (v128.store offset=0 (local.get $p)
          (f64x2.add (v128.load offset=0 (local.get $p)) (f64x2.promote_low_f32x4 (local.get $v))))
        (v128.store offset=16 (local.get $p)
          (f64x2.add (v128.load offset=16 (local.get $p))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $jloop)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $iloop))))
)
