;; Squared-distance block kernels for the exact kNN shortlist (wasm SIMD): dist_block in
;; float32, dist_block_i16 on int16 codes (below).
;;
;; dist_block writes out[qi*nr + ri] = |q|^2 + |r|^2 - 2 q.r (float32) for nq query rows and
;; nr reference rows, both given as row ids into row-major matrices whose rows are zero-padded
;; to a stride of dpb bytes (a multiple of 16). nq must be a multiple of 4 and nr of 2 (callers
;; pad the id lists by repeating a row). 4 queries x 2 references of f32x4 accumulators stay in
;; registers (11 of x64's 16 xmm), which beat 4x4, 3x4, 6x2 and 8x1 on this class of machine.
;;
;; Every (q, r) value is computed the same way wherever it sits in a block (lane-wise sums in j
;; order, then lanes (l0 + l2) + (l1 + l3)), so results never depend on how callers split the
;; work. f32x4.add/mul are IEEE-exact and never fused, so results are identical across CPUs.
;; The epilogue handles four queries at once (two shuffle-and-add rounds sum the lanes of four
;; accumulators into one f32x4) and is written out inline: V8 does not inline wasm calls here,
;; and calling helpers from the block loop cost a third of the speed.
;;
;; Both kernels also filter, so that the caller's scan touches only what it may keep: given
;; thr[qi] (f32, the most a value of query qi may be to enter its shortlist), each quad of
;; queries (qi = 4m..4m+3) lists in hits[m*nr ..] the columns ri, ascending, where one of its
;; four values is <= its threshold, as ri | lanes << 16 (nr < 65536; bit t of lanes set when
;; query 4m+t's value passed), and stores the list's length in counts[m] (i32). dist_block's out
;; still holds every value (the prune's bounds need them all); dist_block_i16 stores only the
;; listed columns' values. Padding lanes take thr = -inf. The filter took the host-split search
;; from 12.9 to 11.5 s (scanning the whole tile in JavaScript cost ~15 % of the time), and the
;; lanes 5.35 to 5.20 s for every 8th query (JavaScript offered a value per lane, not per pass).
(module
  (import "env" "memory" (memory 1 65536 shared))

  (func $row (param $base i32) (param $ids i32) (param $i i32) (param $dpb i32) (result i32)
    (i32.add (local.get $base)
      (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))) (local.get $dpb))))

  (func (export "dist_block")
    (param $qb i32) (param $qn i32) (param $qids i32) (param $nq i32)
    (param $rb i32) (param $rn i32) (param $rids i32) (param $nr i32)
    (param $dpb i32) (param $out i32)
    (param $thr i32) (param $hits i32) (param $counts i32)
    (local $qi i32) (local $ri i32) (local $j i32) (local $qid i32) (local $rid i32)
    (local $q0 i32) (local $q1 i32) (local $q2 i32) (local $q3 i32) (local $r0 i32) (local $r1 i32)
    (local $x0 v128) (local $x1 v128) (local $y v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local $qn4 v128) (local $ab v128) (local $cd v128)
    (local $o i32) (local $stride i32) (local $thr4 v128) (local $h i32) (local $n i32) (local $m i32)
    (local.set $stride (i32.shl (local.get $nr) (i32.const 2)))
    (local.set $qi (i32.const 0))
    (block $qdone (loop $qloop
      (br_if $qdone (i32.ge_u (local.get $qi) (local.get $nq)))
      ;; four query rows and their norms |q|^2 as f32x4
      (local.set $qid (i32.load offset=0 (i32.add (local.get $qids) (i32.shl (local.get $qi) (i32.const 2)))))
      (local.set $q0 (i32.add (local.get $qb) (i32.mul (local.get $qid) (local.get $dpb))))
      (local.set $qn4 (f32x4.splat (f32.load (i32.add (local.get $qn) (i32.shl (local.get $qid) (i32.const 2))))))
      (local.set $qid (i32.load offset=4 (i32.add (local.get $qids) (i32.shl (local.get $qi) (i32.const 2)))))
      (local.set $q1 (i32.add (local.get $qb) (i32.mul (local.get $qid) (local.get $dpb))))
      (local.set $qn4 (f32x4.replace_lane 1 (local.get $qn4) (f32.load (i32.add (local.get $qn) (i32.shl (local.get $qid) (i32.const 2))))))
      (local.set $qid (i32.load offset=8 (i32.add (local.get $qids) (i32.shl (local.get $qi) (i32.const 2)))))
      (local.set $q2 (i32.add (local.get $qb) (i32.mul (local.get $qid) (local.get $dpb))))
      (local.set $qn4 (f32x4.replace_lane 2 (local.get $qn4) (f32.load (i32.add (local.get $qn) (i32.shl (local.get $qid) (i32.const 2))))))
      (local.set $qid (i32.load offset=12 (i32.add (local.get $qids) (i32.shl (local.get $qi) (i32.const 2)))))
      (local.set $q3 (i32.add (local.get $qb) (i32.mul (local.get $qid) (local.get $dpb))))
      (local.set $qn4 (f32x4.replace_lane 3 (local.get $qn4) (f32.load (i32.add (local.get $qn) (i32.shl (local.get $qid) (i32.const 2))))))
      ;; the four queries' thresholds, and where this quad's hits go
      (local.set $thr4 (v128.load (i32.add (local.get $thr) (i32.shl (local.get $qi) (i32.const 2)))))
      (local.set $h (i32.add (local.get $hits) (i32.mul (local.get $qi) (local.get $nr))))
      (local.set $n (i32.const 0))
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
        (local.set $o (i32.add (local.get $out)
          (i32.shl (i32.add (i32.mul (local.get $qi) (local.get $nr)) (local.get $ri)) (i32.const 2))))
        ;; reference 0: lanes of a00..a30 summed ((l0 + l2) + (l1 + l3)), four values down column ri+0
        (local.set $rid (i32.shl (i32.load offset=0 (i32.add (local.get $rids) (i32.shl (local.get $ri) (i32.const 2)))) (i32.const 2)))
        (local.set $ab (f32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a00) (local.get $a10))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a00) (local.get $a10))))
        (local.set $cd (f32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a20) (local.get $a30))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a20) (local.get $a30))))
        (local.set $y (f32x4.sub
          (f32x4.add (local.get $qn4) (f32x4.splat (f32.load (i32.add (local.get $rn) (local.get $rid)))))
          (f32x4.mul (v128.const f32x4 2 2 2 2) (f32x4.add
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd))))))
        (f32.store offset=0 (local.get $o) (f32x4.extract_lane 0 (local.get $y)))
        (f32.store offset=0 (i32.add (local.get $o) (i32.mul (local.get $stride) (i32.const 1))) (f32x4.extract_lane 1 (local.get $y)))
        (f32.store offset=0 (i32.add (local.get $o) (i32.mul (local.get $stride) (i32.const 2))) (f32x4.extract_lane 2 (local.get $y)))
        (f32.store offset=0 (i32.add (local.get $o) (i32.mul (local.get $stride) (i32.const 3))) (f32x4.extract_lane 3 (local.get $y)))
        (local.set $m (i32x4.bitmask (f32x4.le (local.get $y) (local.get $thr4))))
        (if (local.get $m)
          (then
            (i32.store (i32.add (local.get $h) (i32.shl (local.get $n) (i32.const 2)))
              (i32.or (local.get $ri) (i32.shl (local.get $m) (i32.const 16))))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        ;; reference 1: lanes of a01..a31 summed ((l0 + l2) + (l1 + l3)), four values down column ri+1
        (local.set $rid (i32.shl (i32.load offset=4 (i32.add (local.get $rids) (i32.shl (local.get $ri) (i32.const 2)))) (i32.const 2)))
        (local.set $ab (f32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a01) (local.get $a11))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a01) (local.get $a11))))
        (local.set $cd (f32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a21) (local.get $a31))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a21) (local.get $a31))))
        (local.set $y (f32x4.sub
          (f32x4.add (local.get $qn4) (f32x4.splat (f32.load (i32.add (local.get $rn) (local.get $rid)))))
          (f32x4.mul (v128.const f32x4 2 2 2 2) (f32x4.add
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd))))))
        (f32.store offset=4 (local.get $o) (f32x4.extract_lane 0 (local.get $y)))
        (f32.store offset=4 (i32.add (local.get $o) (i32.mul (local.get $stride) (i32.const 1))) (f32x4.extract_lane 1 (local.get $y)))
        (f32.store offset=4 (i32.add (local.get $o) (i32.mul (local.get $stride) (i32.const 2))) (f32x4.extract_lane 2 (local.get $y)))
        (f32.store offset=4 (i32.add (local.get $o) (i32.mul (local.get $stride) (i32.const 3))) (f32x4.extract_lane 3 (local.get $y)))
        (local.set $m (i32x4.bitmask (f32x4.le (local.get $y) (local.get $thr4))))
        (if (local.get $m)
          (then
            (i32.store (i32.add (local.get $h) (i32.shl (local.get $n) (i32.const 2)))
              (i32.or (i32.add (local.get $ri) (i32.const 1)) (i32.shl (local.get $m) (i32.const 16))))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $ri (i32.add (local.get $ri) (i32.const 2)))
        (br $rloop)))
      (i32.store (i32.add (local.get $counts) (local.get $qi)) (local.get $n))
      (local.set $qi (i32.add (local.get $qi) (i32.const 4)))
      (br $qloop))))

  ;; dist_block_i16: the same 4x2 block over int16 rows (quantize.ts). Row r stands for
  ;; scale[r] * A_r, with codes chosen so that |A_r| |A_s| < 2^31 for any two rows: every i32
  ;; lane sum is then exact (Cauchy-Schwarz bounds each partial sum) and the only error is the
  ;; quantization's, which block-search.ts bounds per query. i32x4.dot_i16x8_s (pmaddwd) does
  ;; 8 multiply-adds per instruction where f32x4 mul+add does 4 per two, so this runs ~2x faster.
  ;;
  ;;   value(qi, ri) = (|q|^2 + |r|^2) - ((2 sq) sr) f32(A_q . A_r)
  ;;
  ;; The epilogue is dist_block's: i32 lanes summed four queries at once (exact), then
  ;; converted and scaled as one f32x4. Three differences from dist_block, which together took
  ;; the demo's host split from 5.9-6.3 to 5.5-5.7 s (every 8th query, runs alternated):
  ;; - qb holds the block's query codes staged by quad and interleaved (stageQuadCodes in
  ;;   block-search.ts): quad m at qb + 4 m dpb, its query t's bytes [16c, 16c + 16) at 64c + 16t.
  ;;   One pointer then serves all four query loads (V8 had been recomputing the four row
  ;;   addresses from their ids inside the inner loop, short of registers).
  ;; - rrows lists the byte addresses of the tile's code rows (GroupLayout.codeRowsOffset) in
  ;;   the order of rids, which still finds their norms and scales: one load per row, where
  ;;   dist_block's $row call cost ~5 % of the kernel's time.
  ;; - Only admitted columns are stored: the quad's values for its n-th hit go as one f32x4 to
  ;;   out + 16 (m nr + n), beside hits[m nr + n]. Storing every value took 8 scalar stores per
  ;;   block and filled L2 with a 128 KB matrix the scan mostly skipped.
  (func (export "dist_block_i16")
    (param $qb i32) (param $qs i32) (param $qn i32) (param $qids i32) (param $nq i32)
    (param $rrows i32) (param $rs i32) (param $rn i32) (param $rids i32) (param $nr i32)
    (param $dpb i32) (param $out i32)
    (param $thr i32) (param $hits i32) (param $counts i32)
    (local $qi i32) (local $ri i32) (local $j i32) (local $qid i32) (local $rid i32)
    (local $qp i32) (local $qj i32) (local $r0 i32) (local $r1 i32)
    (local $x0 v128) (local $x1 v128) (local $y v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local $qn4 v128) (local $qs4 v128) (local $ab v128) (local $cd v128) (local $v v128)
    (local $o i32) (local $thr4 v128) (local $h i32) (local $n i32) (local $m i32)
    (local.set $qi (i32.const 0))
    (block $qdone (loop $qloop
      (br_if $qdone (i32.ge_u (local.get $qi) (local.get $nq)))
      ;; the quad's staged codes, and its queries' norms |q|^2 and doubled scales 2 sq as f32x4
      (local.set $qp (i32.add (local.get $qb) (i32.mul (local.get $qi) (local.get $dpb))))
      (local.set $qid (i32.load offset=0 (i32.add (local.get $qids) (i32.shl (local.get $qi) (i32.const 2)))))
      (local.set $qn4 (f32x4.splat (f32.load (i32.add (local.get $qn) (i32.shl (local.get $qid) (i32.const 2))))))
      (local.set $qs4 (f32x4.splat (f32.load (i32.add (local.get $qs) (i32.shl (local.get $qid) (i32.const 2))))))
      (local.set $qid (i32.load offset=4 (i32.add (local.get $qids) (i32.shl (local.get $qi) (i32.const 2)))))
      (local.set $qn4 (f32x4.replace_lane 1 (local.get $qn4) (f32.load (i32.add (local.get $qn) (i32.shl (local.get $qid) (i32.const 2))))))
      (local.set $qs4 (f32x4.replace_lane 1 (local.get $qs4) (f32.load (i32.add (local.get $qs) (i32.shl (local.get $qid) (i32.const 2))))))
      (local.set $qid (i32.load offset=8 (i32.add (local.get $qids) (i32.shl (local.get $qi) (i32.const 2)))))
      (local.set $qn4 (f32x4.replace_lane 2 (local.get $qn4) (f32.load (i32.add (local.get $qn) (i32.shl (local.get $qid) (i32.const 2))))))
      (local.set $qs4 (f32x4.replace_lane 2 (local.get $qs4) (f32.load (i32.add (local.get $qs) (i32.shl (local.get $qid) (i32.const 2))))))
      (local.set $qid (i32.load offset=12 (i32.add (local.get $qids) (i32.shl (local.get $qi) (i32.const 2)))))
      (local.set $qn4 (f32x4.replace_lane 3 (local.get $qn4) (f32.load (i32.add (local.get $qn) (i32.shl (local.get $qid) (i32.const 2))))))
      (local.set $qs4 (f32x4.replace_lane 3 (local.get $qs4) (f32.load (i32.add (local.get $qs) (i32.shl (local.get $qid) (i32.const 2))))))
      (local.set $qs4 (f32x4.mul (local.get $qs4) (v128.const f32x4 2 2 2 2)))
      ;; the four queries' thresholds, and where this quad's hits and their values go
      (local.set $thr4 (v128.load (i32.add (local.get $thr) (i32.shl (local.get $qi) (i32.const 2)))))
      (local.set $h (i32.add (local.get $hits) (i32.mul (local.get $qi) (local.get $nr))))
      (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $qi) (local.get $nr)) (i32.const 2))))
      (local.set $n (i32.const 0))
      (local.set $ri (i32.const 0))
      (block $rdone (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $ri) (local.get $nr)))
        (local.set $r0 (i32.load offset=0 (i32.add (local.get $rrows) (i32.shl (local.get $ri) (i32.const 2)))))
        (local.set $r1 (i32.load offset=4 (i32.add (local.get $rrows) (i32.shl (local.get $ri) (i32.const 2)))))
        (local.set $a00 (v128.const i32x4 0 0 0 0)) (local.set $a01 (v128.const i32x4 0 0 0 0))
        (local.set $a10 (v128.const i32x4 0 0 0 0)) (local.set $a11 (v128.const i32x4 0 0 0 0))
        (local.set $a20 (v128.const i32x4 0 0 0 0)) (local.set $a21 (v128.const i32x4 0 0 0 0))
        (local.set $a30 (v128.const i32x4 0 0 0 0)) (local.set $a31 (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (local.set $qj (local.get $qp))
        (block $jdone (loop $jloop
          (br_if $jdone (i32.ge_u (local.get $j) (local.get $dpb)))
          (local.set $x0 (v128.load (i32.add (local.get $r0) (local.get $j))))
          (local.set $x1 (v128.load (i32.add (local.get $r1) (local.get $j))))
          (local.set $y (v128.load offset=0 (local.get $qj)))
          (local.set $a00 (i32x4.add (local.get $a00) (i32x4.dot_i16x8_s (local.get $y) (local.get $x0))))
          (local.set $a01 (i32x4.add (local.get $a01) (i32x4.dot_i16x8_s (local.get $y) (local.get $x1))))
          (local.set $y (v128.load offset=16 (local.get $qj)))
          (local.set $a10 (i32x4.add (local.get $a10) (i32x4.dot_i16x8_s (local.get $y) (local.get $x0))))
          (local.set $a11 (i32x4.add (local.get $a11) (i32x4.dot_i16x8_s (local.get $y) (local.get $x1))))
          (local.set $y (v128.load offset=32 (local.get $qj)))
          (local.set $a20 (i32x4.add (local.get $a20) (i32x4.dot_i16x8_s (local.get $y) (local.get $x0))))
          (local.set $a21 (i32x4.add (local.get $a21) (i32x4.dot_i16x8_s (local.get $y) (local.get $x1))))
          (local.set $y (v128.load offset=48 (local.get $qj)))
          (local.set $a30 (i32x4.add (local.get $a30) (i32x4.dot_i16x8_s (local.get $y) (local.get $x0))))
          (local.set $a31 (i32x4.add (local.get $a31) (i32x4.dot_i16x8_s (local.get $y) (local.get $x1))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (local.set $qj (i32.add (local.get $qj) (i32.const 64)))
          (br $jloop)))

        ;; reference 0: [sum a00, sum a10, sum a20, sum a30] -> f32x4 value of column ri+0
        (local.set $rid (i32.shl (i32.load offset=0 (i32.add (local.get $rids) (i32.shl (local.get $ri) (i32.const 2)))) (i32.const 2)))
        (local.set $ab (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a00) (local.get $a10))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a00) (local.get $a10))))
        (local.set $cd (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a20) (local.get $a30))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a20) (local.get $a30))))
        (local.set $v (f32x4.sub
          (f32x4.add (local.get $qn4) (f32x4.splat (f32.load (i32.add (local.get $rn) (local.get $rid)))))
          (f32x4.mul
            (f32x4.mul (local.get $qs4) (f32x4.splat (f32.load (i32.add (local.get $rs) (local.get $rid)))))
            (f32x4.convert_i32x4_s (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd)))))))
        (local.set $m (i32x4.bitmask (f32x4.le (local.get $v) (local.get $thr4))))
        (if (local.get $m)
          (then
            (v128.store (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 4))) (local.get $v))
            (i32.store (i32.add (local.get $h) (i32.shl (local.get $n) (i32.const 2)))
              (i32.or (local.get $ri) (i32.shl (local.get $m) (i32.const 16))))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        ;; reference 1: [sum a01, sum a11, sum a21, sum a31] -> f32x4 value of column ri+1
        (local.set $rid (i32.shl (i32.load offset=4 (i32.add (local.get $rids) (i32.shl (local.get $ri) (i32.const 2)))) (i32.const 2)))
        (local.set $ab (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a01) (local.get $a11))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a01) (local.get $a11))))
        (local.set $cd (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a21) (local.get $a31))
          (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a21) (local.get $a31))))
        (local.set $v (f32x4.sub
          (f32x4.add (local.get $qn4) (f32x4.splat (f32.load (i32.add (local.get $rn) (local.get $rid)))))
          (f32x4.mul
            (f32x4.mul (local.get $qs4) (f32x4.splat (f32.load (i32.add (local.get $rs) (local.get $rid)))))
            (f32x4.convert_i32x4_s (i32x4.add
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $ab) (local.get $cd))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $ab) (local.get $cd)))))))
        (local.set $m (i32x4.bitmask (f32x4.le (local.get $v) (local.get $thr4))))
        (if (local.get $m)
          (then
            (v128.store (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 4))) (local.get $v))
            (i32.store (i32.add (local.get $h) (i32.shl (local.get $n) (i32.const 2)))
              (i32.or (i32.add (local.get $ri) (i32.const 1)) (i32.shl (local.get $m) (i32.const 16))))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $ri (i32.add (local.get $ri) (i32.const 2)))
        (br $rloop)))
      (i32.store (i32.add (local.get $counts) (local.get $qi)) (local.get $n))
      (local.set $qi (i32.add (local.get $qi) (i32.const 4)))
      (br $qloop)))))
