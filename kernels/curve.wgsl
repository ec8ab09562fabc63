// BN254 G1 (y² = x³ + 3 over Fq) in extended Jacobian "XYZZ" coordinates:
// x = X/ZZ, y = Y/ZZZ, ZZ = 0 is infinity. The formulas are the ones of
// native/include/gal/bn254.h (Bernstein–Lange EFD, a = 0), with the P = Q
// and P = −Q cases made explicit. Coordinates are in Montgomery form; an
// affine point with x = y = 0 is infinity (0 is not on the curve).

struct Affine { x: Fe, y: Fe }
struct Xyzz { x: Fe, y: Fe, zz: Fe, zzz: Fe }


fn xyzz_inf() -> Xyzz { return Xyzz(fq_ONE, fq_ONE, FE_ZERO, FE_ZERO); }
fn xyzz_is_inf(p: Xyzz) -> bool { return fq_is_zero(p.zz); }
fn affine_is_inf(p: Affine) -> bool { return fq_is_zero(p.x) && fq_is_zero(p.y); }

// y² = x³ + 3, with 3 in Montgomery form supplied as fq_B.
fn affine_on_curve(p: Affine) -> bool {
  return fq_eq(fq_sqr(p.y), fq_add(fq_mul(fq_sqr(p.x), p.x), fq_B));
}

// dbl-2008-s-1
fn xyzz_dbl(p: Xyzz) -> Xyzz {
  if (xyzz_is_inf(p)) { return p; }
  let u = fq_dbl(p.y);
  let v = fq_sqr(u);
  let w = fq_mul(u, v);
  let s = fq_mul(p.x, v);
  let x2 = fq_sqr(p.x);
  let m = fq_add(fq_dbl(x2), x2);
  let rx = fq_sub(fq_sqr(m), fq_dbl(s));
  let ry = fq_sub(fq_mul(m, fq_sub(s, rx)), fq_mul(w, p.y));
  return Xyzz(rx, ry, fq_mul(v, p.zz), fq_mul(w, p.zzz));
}

// mdbl-2008-s-1
fn xyzz_dbl_affine(q: Affine) -> Xyzz {
  let u = fq_dbl(q.y);
  let v = fq_sqr(u);
  let w = fq_mul(u, v);
  let s = fq_mul(q.x, v);
  let x2 = fq_sqr(q.x);
  let m = fq_add(fq_dbl(x2), x2);
  let rx = fq_sub(fq_sqr(m), fq_dbl(s));
  let ry = fq_sub(fq_mul(m, fq_sub(s, rx)), fq_mul(w, q.y));
  return Xyzz(rx, ry, v, w);
}

// madd-2008-s
fn xyzz_add_affine(p: Xyzz, q: Affine) -> Xyzz {
  if (affine_is_inf(q)) { return p; }
  if (xyzz_is_inf(p)) { return Xyzz(q.x, q.y, fq_ONE, fq_ONE); }
  let u2 = fq_mul(q.x, p.zz);
  let s2 = fq_mul(q.y, p.zzz);
  let pp_ = fq_sub(u2, p.x);
  let r = fq_sub(s2, p.y);
  if (fq_is_zero(pp_)) {
    if (fq_is_zero(r)) { return xyzz_dbl_affine(q); }
    return xyzz_inf();
  }
  let pp = fq_sqr(pp_);
  let ppp = fq_mul(pp_, pp);
  let qq = fq_mul(p.x, pp);
  let rx = fq_sub(fq_sub(fq_sqr(r), ppp), fq_dbl(qq));
  let ry = fq_sub(fq_mul(r, fq_sub(qq, rx)), fq_mul(p.y, ppp));
  return Xyzz(rx, ry, fq_mul(p.zz, pp), fq_mul(p.zzz, ppp));
}

// add-2008-s
fn xyzz_add(p: Xyzz, q: Xyzz) -> Xyzz {
  if (xyzz_is_inf(q)) { return p; }
  if (xyzz_is_inf(p)) { return q; }
  let u1 = fq_mul(p.x, q.zz);
  let u2 = fq_mul(q.x, p.zz);
  let s1 = fq_mul(p.y, q.zzz);
  let s2 = fq_mul(q.y, p.zzz);
  let pp_ = fq_sub(u2, u1);
  let r = fq_sub(s2, s1);
  if (fq_is_zero(pp_)) {
    if (fq_is_zero(r)) { return xyzz_dbl(p); }
    return xyzz_inf();
  }
  let pp = fq_sqr(pp_);
  let ppp = fq_mul(pp_, pp);
  let qq = fq_mul(u1, pp);
  let rx = fq_sub(fq_sub(fq_sqr(r), ppp), fq_dbl(qq));
  let ry = fq_sub(fq_mul(r, fq_sub(qq, rx)), fq_mul(s1, ppp));
  return Xyzz(rx, ry, fq_mul(fq_mul(p.zz, q.zz), pp), fq_mul(fq_mul(p.zzz, q.zzz), ppp));
}
