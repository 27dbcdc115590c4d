;; Squared-distance block kernel for the exact kNN shortlist (f32x4 SIMD).
;;
;; dist_block writes out[qi*nr + ri] = |q|^2 + |r|^2 - 2 q.r (float32) for nq query rows and
;; nr reference rows, both given as row ids into row-major matrices whose rows are zero-padded
;; to a stride of dpb bytes (a multiple of 16). nq must be a multiple of 4 and nr of 2 (callers
;; pad the id lists by repeating a row). 4 queries x 2 references of f32x4 accumulators stay in
;; registers (11 of x64's 16 xmm), which beat 4x4, 3x4, 6x2 and 8x1 on this class of machine.
;;
;; Every (q, r) value is computed the same way wherever it sits in a block (lane-wise sums in j
;; order, then lanes (0+1)+(2+3)), so results never depend on how callers split the work.
;; f32x4.add/mul are IEEE-exact and never fused, so results are identical across CPUs.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; (l0 + l1) + (l2 + l3)
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; out[at] = qnorm + rnorm - 2 * hsum(acc)
  (func $emit (param $acc v128) (param $qn f32) (param $rn f32) (param $at i32)
    (f32.store (local.get $at)
      (f32.sub
        (f32.add (local.get $qn) (local.get $rn))
        (f32.mul (f32.const 2) (call $hsum (local.get $acc))))))

  (func $row (param $base i32) (param $ids i32) (param $i i32) (param $dpb i32) (result i32)
    (i32.add (local.get $base)
      (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))) (local.get $dpb))))

  (func $norm (param $norms i32) (param $ids i32) (param $i i32) (result f32)
    (f32.load (i32.add (local.get $norms)
      (i32.shl (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 2)))))

  (func (export "dist_block")
    (param $qb i32) (param $qn i32) (param $qids i32) (param $nq i32)
    (param $rb i32) (param $rn i32) (param $rids i32) (param $nr i32)
    (param $dpb i32) (param $out i32)
    (local $qi i32) (local $ri i32) (local $j i32)
    (local $q0 i32) (local $q1 i32) (local $q2 i32) (local $q3 i32)
    (local $r0 i32) (local $r1 i32)
    (local $x0 v128) (local $x1 v128) (local $y v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local $o i32) (local $rn0 f32) (local $rn1 f32) (local $qnv f32) (local $stride i32)
    (local.set $stride (i32.shl (local.get $nr) (i32.const 2)))
    (local.set $qi (i32.const 0))
    (block $qdone (loop $qloop
      (br_if $qdone (i32.ge_u (local.get $qi) (local.get $nq)))
      (local.set $q0 (call $row (local.get $qb) (local.get $qids) (local.get $qi) (local.get $dpb)))
      (local.set $q1 (call $row (local.get $qb) (local.get $qids) (i32.add (local.get $qi) (i32.const 1)) (local.get $dpb)))
      (local.set $q2 (call $row (local.get $qb) (local.get $qids) (i32.add (local.get $qi) (i32.const 2)) (local.get $dpb)))
      (local.set $q3 (call $row (local.get $qb) (local.get $qids) (i32.add (local.get $qi) (i32.const 3)) (local.get $dpb)))
      (local.set $ri (i32.const 0))
      (block $rdone (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $ri) (local.get $nr)))
        (local.set $r0 (call $row (local.get $rb) (local.get $rids) (local.get $ri) (local.get $dpb)))
        (local.set $r1 (call $row (local.get $rb) (local.get $rids) (i32.add (local.get $ri) (i32.const 1)) (local.get $dpb)))
        (local.set $a00 (v128.const i32x4 0 0 0 0)) (local.set $a01 (v128.const i32x4 0 0 0 0))
        (local.set $a10 (v128.const i32x4 0 0 0 0)) (local.set $a11 (v128.const i32x4 0 0 0 0))
        (local.set $a20 (v128.const i32x4 0 0 0 0)) (local.set $a21 (v128.const i32x4 0 0 0 0))
        (local.set $a30 (v128.const i32x4 0 0 0 0)) (local.set $a31 (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $jdone (loop $jloop
          (br_if $jdone (i32.ge_u (local.get $j) (local.get $dpb)))
          (local.set $x0 (v128.load (i32.add (local.get $r0) (local.get $j))))
          (local.set $x1 (v128.load (i32.add (local.get $r1) (local.get $j))))
          (local.set $y (v128.load (i32.add (local.get $q0) (local.get $j))))
          (local.set $a00 (f32x4.add (local.get $a00) (f32x4.mul (local.get $y) (local.get $x0))))
          (local.set $a01 (f32x4.add (local.get $a01) (f32x4.mul (local.get $y) (local.get $x1))))
          (local.set $y (v128.load (i32.add (local.get $q1) (local.get $j))))
          (local.set $a10 (f32x4.add (local.get $a10) (f32x4.mul (local.get $y) (local.get $x0))))
          (local.set $a11 (f32x4.add (local.get $a11) (f32x4.mul (local.get $y) (local.get $x1))))
          (local.set $y (v128.load (i32.add (local.get $q2) (local.get $j))))
          (local.set $a20 (f32x4.add (local.get $a20) (f32x4.mul (local.get $y) (local.get $x0))))
          (local.set $a21 (f32x4.add (local.get $a21) (f32x4.mul (local.get $y) (local.get $x1))))
          (local.set $y (v128.load (i32.add (local.get $q3) (local.get $j))))
          (local.set $a30 (f32x4.add (local.get $a30) (f32x4.mul (local.get $y) (local.get $x0))))
          (local.set $a31 (f32x4.add (local.get $a31) (f32x4.mul (local.get $y) (local.get $x1))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $jloop)))
        (local.set $rn0 (call $norm (local.get $rn) (local.get $rids) (local.get $ri)))
        (local.set $rn1 (call $norm (local.get $rn) (local.get $rids) (i32.add (local.get $ri) (i32.const 1))))
        ;; o = out + (qi*nr + ri)*4; the next query's row is stride bytes further
        (local.set $o (i32.add (local.get $out)
          (i32.shl (i32.add (i32.mul (local.get $qi) (local.get $nr)) (local.get $ri)) (i32.const 2))))
        (local.set $qnv (call $norm (local.get $qn) (local.get $qids) (local.get $qi)))
        (call $emit (local.get $a00) (local.get $qnv) (local.get $rn0) (local.get $o))
        (call $emit (local.get $a01) (local.get $qnv) (local.get $rn1) (i32.add (local.get $o) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (local.get $stride)))
        (local.set $qnv (call $norm (local.get $qn) (local.get $qids) (i32.add (local.get $qi) (i32.const 1))))
        (call $emit (local.get $a10) (local.get $qnv) (local.get $rn0) (local.get $o))
        (call $emit (local.get $a11) (local.get $qnv) (local.get $rn1) (i32.add (local.get $o) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (local.get $stride)))
        (local.set $qnv (call $norm (local.get $qn) (local.get $qids) (i32.add (local.get $qi) (i32.const 2))))
        (call $emit (local.get $a20) (local.get $qnv) (local.get $rn0) (local.get $o))
        (call $emit (local.get $a21) (local.get $qnv) (local.get $rn1) (i32.add (local.get $o) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (local.get $stride)))
        (local.set $qnv (call $norm (local.get $qn) (local.get $qids) (i32.add (local.get $qi) (i32.const 3))))
        (call $emit (local.get $a30) (local.get $qnv) (local.get $rn0) (local.get $o))
        (call $emit (local.get $a31) (local.get $qnv) (local.get $rn1) (i32.add (local.get $o) (i32.const 4)))
        (local.set $ri (i32.add (local.get $ri) (i32.const 2)))
        (br $rloop)))
      (local.set $qi (i32.add (local.get $qi) (i32.const 4)))
      (br $qloop)))))
