<%page args="name, ctype, ndim, axis, n_inputs"/>\
<%namespace name="c" file="common.mako"/>\
## concatenate along `axis`: input k covers positions [b{k}, b{k+1}) of the output's
## axis (b0 = 0); each input is read through its own offset and strides.
__kernel void ${name}(const long n,
% for d in range(ndim):
    const long dim${d},
% endfor
% for k in range(n_inputs):
    __global const ${ctype} *restrict in${k}, const long in${k}_off, const long b${k + 1},
    ${", ".join("const long in%d_s%d" % (k, d) for d in range(ndim))},
% endfor
    __global ${ctype} *restrict out, const long out_off)
{
    const long gid = get_global_id(0);
    if (gid >= n) return;
${c.unravel("gid", ndim)}\
% for k in range(n_inputs):
    ${"if" if k == 0 else "else if"} (i${axis} < b${k + 1}) {
        const long p = i${axis}${" - b%d" % k if k else ""};
        out[out_off + gid] = in${k}[in${k}_off${"".join(" + %s * in%d_s%d" % ("p" if d == axis else "i%d" % d, k, d) for d in range(ndim))}];
    }
% endfor
}
