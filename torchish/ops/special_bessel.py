"""torch.special's Bessel, Airy and orthogonal-polynomial functions: ATen's Cephes-derived kernels (Math.h) written
in jax.numpy, branch by branch with jnp.where, each polynomial with torch's coefficients and Horner order, in the
input's dtype as torch's templates compute them. torch has no derivative for any of them: their results never
require grad."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from . import _registry as R
from ._registry import FLOAT, op
from .pointwise import _broadcast_check

__all__ = ["UNARY", "BINARY"]


def _c(v, like):
    return jnp.asarray(v, like.dtype)


def _horner(coefs, z):
    # torch: T p = 0.0; for each coefficient p = p * z + C[i]
    acc = jnp.zeros_like(z)
    for v in coefs:
        acc = acc * z + _c(v, z)
    return acc


def _chebyshev(coefs, y):
    # torch's Clenshaw loop: a = C[0]; for the rest p = q; q = a; a = y * q - p + C[i]; the value is 0.5 * (a - p)
    p = q = jnp.zeros_like(y)
    a = jnp.full_like(y, coefs[0])
    for v in coefs[1:]:
        p, q = q, a
        a = y * q - p + _c(v, y)
    return _c(0.5, y) * (a - p)


def _array(v, like):
    """v as an elementwise divisor: XLA turns a division by a broadcast scalar into a product with its reciprocal
    (a different rounding from torch's division); an optimization barrier keeps the broadcast an array."""
    return jax.lax.optimization_barrier(jnp.broadcast_to(v, like.shape))


def _libm(fn):
    """fn as torch's float32 kernels get it from glibc (sinf, expf, ...: correctly rounded but for rare inputs of
    acosf): by way of float64, as XLA's own float32 versions can be an ulp off."""

    def call(x):
        return fn(x.astype(jnp.float64)).astype(x.dtype) if x.dtype == jnp.float32 else fn(x)

    return call


_cos, _sin, _exp, _log, _arccos = (_libm(f) for f in (jnp.cos, jnp.sin, jnp.exp, jnp.log, jnp.arccos))


def _where(*branches):
    """branches: condition, value, condition, value, ... in torch's if-order, then the final value."""
    *pairs, out = branches
    for i in range(len(pairs) - 2, -1, -2):
        out = jnp.where(pairs[i], pairs[i + 1], out)
    return out


# ------------------------------------------------------------------------- coefficients (Math.h)

# fmt: off
_AI_AN = (
    3.46538101525629032477e-01, 1.20075952739645805542e+01, 7.62796053615234516538e+01, 1.68089224934630576269e+02,
    1.59756391350164413639e+02, 7.05360906840444183113e+01, 1.40264691163389668864e+01, 9.99999999999999995305e-01,
)
_AI_AD = (
    5.67594532638770212846e-01, 1.47562562584847203173e+01, 8.45138970141474626562e+01, 1.77318088145400459522e+02,
    1.64234692871529701831e+02, 7.14778400825575695274e+01, 1.40959135607834029598e+01, 1.00000000000000000470e+00,
)
_AI_AFN = (
    -1.31696323418331795333e-01, -6.26456544431912369773e-01, -6.93158036036933542233e-01,
    -2.79779981545119124951e-01, -4.91900132609500318020e-02, -4.06265923594885404393e-03,
    -1.59276496239262096340e-04, -2.77649108155232920844e-06, -1.67787698489114633780e-08,
)
_AI_AFD = (
    1.33560420706553243746e+01, 3.26825032795224613948e+01, 2.67367040941499554804e+01, 9.18707402907259625840e+00,
    1.47529146771666414581e+00, 1.15687173795188044134e-01, 4.40291641615211203805e-03, 7.54720348287414296618e-05,
    4.51850092970580378464e-07,
)
_AI_AGN = (
    1.97339932091685679179e-02, 3.91103029615688277255e-01, 1.06579897599595591108e+00, 9.39169229816650230044e-01,
    3.51465656105547619242e-01, 6.33888919628925490927e-02, 5.85804113048388458567e-03, 2.82851600836737019778e-04,
    6.98793669997260967291e-06, 8.11789239554389293311e-08, 3.41551784765923618484e-10,
)
_AI_AGD = (
    9.30892908077441974853e+00, 1.98352928718312140417e+01, 1.55646628932864612953e+01, 5.47686069422975497931e+00,
    9.54293611618961883998e-01, 8.64580826352392193095e-02, 4.12656523824222607191e-03, 1.01259085116509135510e-04,
    1.17166733214413521882e-06, 4.91834570062930015649e-09,
)
_J0_PP = (
    7.96936729297347051624e-04, 8.28352392107440799803e-02, 1.23953371646414299388e+00, 5.44725003058768775090e+00,
    8.74716500199817011941e+00, 5.30324038235394892183e+00, 9.99999999999999997821e-01,
)
_J0_PQ = (
    9.24408810558863637013e-04, 8.56288474354474431428e-02, 1.25352743901058953537e+00, 5.47097740330417105182e+00,
    8.76190883237069594232e+00, 5.30605288235394617618e+00, 1.00000000000000000218e+00,
)
_J0_QP = (
    -1.13663838898469149931e-02, -1.28252718670509318512e+00, -1.95539544257735972385e+01,
    -9.32060152123768231369e+01, -1.77681167980488050595e+02, -1.47077505154951170175e+02,
    -5.14105326766599330220e+01, -6.05014350600728481186e+00,
)
_J0_QQ = (
    6.43178256118178023184e+01, 8.56430025976980587198e+02, 3.88240183605401609683e+03, 7.24046774195652478189e+03,
    5.93072701187316984827e+03, 2.06209331660327847417e+03, 2.42005740240291393179e+02,
)
_J0_RP = (
    -4.79443220978201773821e+09, 1.95617491946556577543e+12, -2.49248344360967716204e+14, 9.70862251047306323952e+15,
)
_J0_RQ = (
    4.99563147152651017219e+02, 1.73785401676374683123e+05, 4.84409658339962045305e+07, 1.11855537045356834862e+10,
    2.11277520115489217587e+12, 3.10518229857422583814e+14, 3.18121955943204943306e+16, 1.71086294081043136091e+18,
)
_J1_PP = (
    7.62125616208173112003e-04, 7.31397056940917570436e-02, 1.12719608129684925192e+00, 5.11207951146807644818e+00,
    8.42404590141772420927e+00, 5.21451598682361504063e+00, 1.00000000000000000254e+00,
)
_J1_PQ = (
    5.71323128072548699714e-04, 6.88455908754495404082e-02, 1.10514232634061696926e+00, 5.07386386128601488557e+00,
    8.39985554327604159757e+00, 5.20982848682361821619e+00, 9.99999999999999997461e-01,
)
_J1_QP = (
    5.10862594750176621635e-02, 4.98213872951233449420e+00, 7.58238284132545283818e+01, 3.66779609360150777800e+02,
    7.10856304998926107277e+02, 5.97489612400613639965e+02, 2.11688757100572135698e+02, 2.52070205858023719784e+01,
)
_J1_QQ = (
    7.42373277035675149943e+01, 1.05644886038262816351e+03, 4.98641058337653607651e+03, 9.56231892404756170795e+03,
    7.99704160447350683650e+03, 2.82619278517639096600e+03, 3.36093607810698293419e+02,
)
_J1_RP = (
    -8.99971225705559398224e+08, 4.52228297998194034323e+11, -7.27494245221818276015e+13, 3.68295732863852883286e+15,
)
_J1_RQ = (
    6.20836478118054335476e+02, 2.56987256757748830383e+05, 8.35146791431949253037e+07, 2.21511595479792499675e+10,
    4.74914122079991414898e+12, 7.84369607876235854894e+14, 8.95222336184627338078e+16, 5.32278620332680085395e+18,
)
_Y0_YP = (
    1.55924367855235737965e+04, -1.46639295903971606143e+07, 5.43526477051876500413e+09,
    -9.82136065717911466409e+11, 8.75906394395366999549e+13, -3.46628303384729719441e+15,
    4.42733268572569800351e+16, -1.84950800436986690637e+16,
)
_Y0_YQ = (
    1.04128353664259848412e+03, 6.26107330137134956842e+05, 2.68919633393814121987e+08, 8.64002487103935000337e+10,
    2.02979612750105546709e+13, 3.17157752842975028269e+15, 2.50596256172653059228e+17,
)
_Y1_YP = (
    1.26320474790178026440e+09, -6.47355876379160291031e+11, 1.14509511541823727583e+14,
    -8.12770255501325109621e+15, 2.02439475713594898196e+17, -7.78877196265950026825e+17,
)
_Y1_YQ = (
    5.94301592346128195359e+02, 2.35564092943068577943e+05, 7.34811944459721705660e+07, 1.87601316108706159478e+10,
    3.88231277496238566008e+12, 6.20557727146953693363e+14, 6.87141087355300489866e+16, 3.97270608116560655612e+18,
)
_I0_A = (
    -4.41534164647933937950e-18, 3.33079451882223809783e-17, -2.43127984654795469359e-16,
    1.71539128555513303061e-15, -1.16853328779934516808e-14, 7.67618549860493561688e-14,
    -4.85644678311192946090e-13, 2.95505266312963983461e-12, -1.72682629144155570723e-11,
    9.67580903537323691224e-11, -5.18979560163526290666e-10, 2.65982372468238665035e-09,
    -1.30002500998624804212e-08, 6.04699502254191894932e-08, -2.67079385394061173391e-07,
    1.11738753912010371815e-06, -4.41673835845875056359e-06, 1.64484480707288970893e-05,
    -5.75419501008210370398e-05, 1.88502885095841655729e-04, -5.76375574538582365885e-04,
    1.63947561694133579842e-03, -4.32430999505057594430e-03, 1.05464603945949983183e-02,
    -2.37374148058994688156e-02, 4.93052842396707084878e-02, -9.49010970480476444210e-02,
    1.71620901522208775349e-01, -3.04682672343198398683e-01, 6.76795274409476084995e-01,
)
_I0_B = (
    -7.23318048787475395456e-18, -4.83050448594418207126e-18, 4.46562142029675999901e-17,
    3.46122286769746109310e-17, -2.82762398051658348494e-16, -3.42548561967721913462e-16,
    1.77256013305652638360e-15, 3.81168066935262242075e-15, -9.55484669882830764870e-15,
    -4.15056934728722208663e-14, 1.54008621752140982691e-14, 3.85277838274214270114e-13, 7.18012445138366623367e-13,
    -1.79417853150680611778e-12, -1.32158118404477131188e-11, -3.14991652796324136454e-11,
    1.18891471078464383424e-11, 4.94060238822496958910e-10, 3.39623202570838634515e-09, 2.26666899049817806459e-08,
    2.04891858946906374183e-07, 2.89137052083475648297e-06, 6.88975834691682398426e-05, 3.36911647825569408990e-03,
    8.04490411014108831608e-01,
)
_I1_A = (
    2.77791411276104639959e-18, -2.11142121435816608115e-17, 1.55363195773620046921e-16,
    -1.10559694773538630805e-15, 7.60068429473540693410e-15, -5.04218550472791168711e-14,
    3.22379336594557470981e-13, -1.98397439776494371520e-12, 1.17361862988909016308e-11,
    -6.66348972350202774223e-11, 3.62559028155211703701e-10, -1.88724975172282928790e-09,
    9.38153738649577178388e-09, -4.44505912879632808065e-08, 2.00329475355213526229e-07,
    -8.56872026469545474066e-07, 3.47025130813767847674e-06, -1.32731636560394358279e-05,
    4.78156510755005422638e-05, -1.61760815825896745588e-04, 5.12285956168575772895e-04,
    -1.51357245063125314899e-03, 4.15642294431288815669e-03, -1.05640848946261981558e-02,
    2.47264490306265168283e-02, -5.29459812080949914269e-02, 1.02643658689847095384e-01,
    -1.76416518357834055153e-01, 2.52587186443633654823e-01,
)
_I1_B = (
    7.51729631084210481353e-18, 4.41434832307170791151e-18, -4.65030536848935832153e-17,
    -3.20952592199342395980e-17, 2.96262899764595013876e-16, 3.30820231092092828324e-16,
    -1.88035477551078244854e-15, -3.81440307243700780478e-15, 1.04202769841288027642e-14,
    4.27244001671195135429e-14, -2.10154184277266431302e-14, -4.08355111109219731823e-13,
    -7.19855177624590851209e-13, 2.03562854414708950722e-12, 1.41258074366137813316e-11, 3.25260358301548823856e-11,
    -1.89749581235054123450e-11, -5.58974346219658380687e-10, -3.83538038596423702205e-09,
    -2.63146884688951950684e-08, -2.51223623787020892529e-07, -3.88256480887769039346e-06,
    -1.10588938762623716291e-04, -9.76109749136146840777e-03, 7.78576235018280120474e-01,
)
_K0_A = (
    1.37446543561352307156e-16, 4.25981614279661018399e-14, 1.03496952576338420167e-11, 1.90451637722020886025e-09,
    2.53479107902614945675e-07, 2.28621210311945178607e-05, 1.26461541144692592338e-03, 3.59799365153615016266e-02,
    3.44289899924628486886e-01, -5.35327393233902768720e-01,
)
_K0_B = (
    5.30043377268626276149e-18, -1.64758043015242134646e-17, 5.21039150503902756861e-17,
    -1.67823109680541210385e-16, 5.51205597852431940784e-16, -1.84859337734377901440e-15,
    6.34007647740507060557e-15, -2.22751332699166985548e-14, 8.03289077536357521100e-14,
    -2.98009692317273043925e-13, 1.14034058820847496303e-12, -4.51459788337394416547e-12,
    1.85594911495471785253e-11, -7.95748924447710747776e-11, 3.57739728140030116597e-10,
    -1.69753450938905987466e-09, 8.57403401741422608519e-09, -4.66048989768794782956e-08,
    2.76681363944501510342e-07, -1.83175552271911948767e-06, 1.39498137188764993662e-05,
    -1.28495495816278026384e-04, 1.56988388573005337491e-03, -3.14481013119645005427e-02, 2.44030308206595545468e+00,
)
_K1_A = (
    -7.02386347938628759343e-18, -2.42744985051936593393e-15, -6.66690169419932900609e-13,
    -1.41148839263352776110e-10, -2.21338763073472585583e-08, -2.43340614156596823496e-06,
    -1.73028895751305206302e-04, -6.97572385963986435018e-03, -1.22611180822657148235e-01,
    -3.53155960776544875667e-01, 1.52530022733894777053e+00,
)
_K1_B = (
    -5.75674448366501715755e-18, 1.79405087314755922667e-17, -5.68946255844285935196e-17,
    1.83809354436663880070e-16, -6.05704724837331885336e-16, 2.03870316562433424052e-15,
    -7.01983709041831346144e-15, 2.47715442448130437068e-14, -8.97670518232499435011e-14,
    3.34841966607842919884e-13, -1.28917396095102890680e-12, 5.13963967348173025100e-12,
    -2.12996783842756842877e-11, 9.21831518760500529508e-11, -4.19035475934189648750e-10,
    2.01504975519703286596e-09, -1.03457624656780970260e-08, 5.74108412545004946722e-08,
    -3.50196060308781257119e-07, 2.40648494783721712015e-06, -1.93619797416608296024e-05,
    1.95215518471351631108e-04, -2.85781685962277938680e-03, 1.03923736576817238437e-01, 2.72062619048444266945e+00,
)
# fmt: on


# ------------------------------------------------------------------------- Bessel functions J and Y

_PIO4 = 0.785398163397448309615660845819875721
_3PIO4 = 2.356194490192344928846982537459627163
_SQ2OPI = 0.797884560802865355879892119868763737
_TWOOPI = 0.636619772367581343075535053490057448


def _asymptotic(pp, pq, qp, qq, x, z, phase, j):
    """The large-x form: (P cos - 5/x Q sin) for j (P sin + 5/x Q cos for y) times sqrt(2/pi) / sqrt(x)."""
    p = _horner(pp, z) / _horner(pq, z)
    q = _c(5.0, x) / x * (_horner(qp, z) / _horner(qq, z))
    w = x - _c(phase, x)
    s = p * _cos(w) - q * _sin(w) if j else p * _sin(w) + q * _cos(w)
    return s * _c(_SQ2OPI, x) / jnp.sqrt(x)


def _j0(x):
    x = jnp.where(x < 0, -x, x)
    xx = x * x
    small = _c(1.0, x) - xx / _c(4.0, x)  # (a power of 2: exact either way)
    mid = (xx - _c(5.78318596294678452118e00, x)) * (xx - _c(3.04712623436620863991e01, x)) * _horner(_J0_RP, xx)
    mid = mid / _horner(_J0_RQ, xx)
    big = _asymptotic(_J0_PP, _J0_PQ, _J0_QP, _J0_QQ, x, _c(25.0, x) / xx, _PIO4, True)
    return _where((x <= 5) & (x < 0.00001), small, x <= 5, mid, big)


def _j1(x):
    neg = x < 0
    x = jnp.where(neg, -x, x)
    xx = x * x
    mid = _horner(_J1_RP, xx) / _horner(_J1_RQ, xx) * x * (xx - _c(1.46819706421238932572e01, x))
    mid = mid * (xx - _c(4.92184563216946036703e01, x))
    five = _c(5.0, x) / x
    big = _asymptotic(_J1_PP, _J1_PQ, _J1_QP, _J1_QQ, x, five * five, _3PIO4, True)
    out = jnp.where(x <= 5, mid, big)
    return jnp.where(neg, -out, out)


def _y0(x):
    xx = x * x
    mid = _horner(_Y0_YP, xx) / _horner(_Y0_YQ, xx) + _c(_TWOOPI, x) * _log(x) * _j0(x)
    big = _asymptotic(_J0_PP, _J0_PQ, _J0_QP, _J0_QQ, x, _c(25.0, x) / xx, _PIO4, False)
    small = x <= 5
    return _where(small & (x == 0), _c(-jnp.inf, x), small & (x < 0), _c(jnp.nan, x), small, mid, big)


def _y1(x):
    xx = x * x
    mid = x * (_horner(_Y1_YP, xx) / _horner(_Y1_YQ, xx)) + _c(_TWOOPI, x) * (_j1(x) * _log(x) - 1 / x)
    five = _c(5.0, x) / x
    big = _asymptotic(_J1_PP, _J1_PQ, _J1_QP, _J1_QQ, x, five * five, _3PIO4, False)
    small = x <= 5
    return _where(small & (x == 0), _c(-jnp.inf, x), small & (x <= 0), _c(jnp.nan, x), small, mid, big)


# ------------------------------------------------------------------------- modified Bessel functions


def _i0(x):
    ax = jnp.abs(x)
    e = _exp(ax)
    small = e * _chebyshev(_I0_A, ax / _c(2.0, x) - _c(2.0, x))
    big = e * _chebyshev(_I0_B, _c(32.0, x) / ax - _c(2.0, x)) / jnp.sqrt(ax)
    return jnp.where(ax <= 8, small, big)


def _i1(x):
    ax = jnp.abs(x)
    e = _exp(ax)
    small = _chebyshev(_I1_A, ax / _c(2.0, x) - _c(2.0, x)) * ax * e
    big = e * _chebyshev(_I1_B, _c(32.0, x) / ax - _c(2.0, x)) / jnp.sqrt(ax)
    out = jnp.where(ax <= 8, small, big)
    return jnp.where(x < 0, -out, out)


def _log_half(x):
    """log(0.5 * x); for float32 by way of float64 (libm's logf), and where 0.5 * x is subnormal (flushed to 0 by
    XLA, kept by torch) log(x) + log(0.5), so that a tiny x does not give -inf * 0 = NaN where torch is finite."""
    if x.dtype == jnp.float32:
        return jnp.log(0.5 * x.astype(jnp.float64)).astype(x.dtype)
    half = _c(0.5, x) * x
    return jnp.where((half == 0) & (x != 0), jnp.log(x) + _c(math.log(0.5), x), jnp.log(half))


def _k_small_log(x, i, double_log):
    # log(x / 2) * I(x); torch's k0 takes the log of `0.5 * x` in double (a double literal), so for float32 that
    # term and the difference it enters are double
    if double_log and x.dtype == jnp.float32:
        return jnp.log(0.5 * x.astype(jnp.float64)) * i.astype(jnp.float64)
    return _log_half(x) * i


def _k(x, order, scaled):
    small_a, b = (_K0_A, _K0_B) if order == 0 else (_K1_A, _K1_B)
    ch = _chebyshev(small_a, x * x - _c(2.0, x))
    if order == 0:
        # torch: 0.5 (a - p) - log(0.5 x) I0(x)
        small = ch - _k_small_log(x, _i0(x), not scaled)
        small = small.astype(x.dtype)
    else:
        small = _k_small_log(x, _i1(x), False) + ch / x
    big = _chebyshev(b, _c(8.0, x) / x - _c(2.0, x))
    if scaled:
        small = small * _exp(x)
        big = big / jnp.sqrt(x)
    else:
        big = _exp(-x) * big / jnp.sqrt(x)
    return _where(x == 0, _c(jnp.inf, x), x < 0, _c(jnp.nan, x), x <= 2, small, big)


def _spherical_j0(x):
    xx = x * x
    poly = _c(1.0, x) / _c(6227020800.0, x)
    for num, den in ((-1.0, 39916800.0), (1.0, 362880.0), (-1.0, 5040.0), (1.0, 120.0), (-1.0, 6.0)):
        poly = _c(num, x) / _c(den, x) + xx * poly
    poly = _c(1.0, x) + xx * poly
    return _where(jnp.isinf(x), jnp.zeros_like(x), jnp.abs(x) < 0.5, poly, _sin(x) / x)


# ------------------------------------------------------------------------- Airy Ai


def _airy_series(x):
    # torch's power series for |x| < 2.09, run until the term is below epsilon (element by element here)
    eps = _c(jnp.finfo(x.dtype).eps, x)
    one = _c(1.0, x)
    z = x * x * x

    def body(s):
        f, g, k, m, n, t = s
        live = t > eps
        m1 = m * z
        k1 = k + one
        m1 = m1 / k1
        n1 = n * z
        k1 = k1 + one
        n1 = n1 / k1
        m1 = m1 / k1
        f1 = f + m1
        k1 = k1 + one
        n1 = n1 / k1
        g1 = g + n1
        t1 = jnp.abs(m1 / f1)
        return tuple(jnp.where(live, new, old) for new, old in zip((f1, g1, k1, m1, n1, t1), s))

    ones = jnp.ones_like(x)
    init = (ones, x, ones, ones, x, ones)
    f, g, *_ = jax.lax.while_loop(lambda s: jnp.any(s[5] > eps), body, init)
    return _c(0.355028053887817239260, x) * f - _c(0.258819403792806798405, x) * g


def _airy_ai(x):
    c = _c(5.64189583547756286948e-01, x)
    # x < -2.09: the oscillating asymptotic form
    xn = jnp.where(x < -2.09, x, _c(-4.0, x))
    zeta_n = _c(-2.0, x) * xn * jnp.sqrt(-xn) / _array(_c(3.0, x), x)
    z = _c(1.0, x) / zeta_n
    zz = z * z
    afn, afd, agn, agd = (_horner(cs, zz) for cs in (_AI_AFN, _AI_AFD, _AI_AGN, _AI_AGD))
    t = zeta_n + _c(0.25, x) * _c(math.pi, x)
    negative = c / jnp.sqrt(jnp.sqrt(-xn)) * (_sin(t) * (_c(1.0, x) + z * z * afn / afd) - _cos(t) * (z * agn / agd))
    # x >= 2.09: the decaying asymptotic form
    xp = jnp.where(x >= 2.09, x, _c(4.0, x))
    zeta = _c(2.0, x) * xp * jnp.sqrt(xp) / _array(_c(3.0, x), x)
    iz = _c(1.0, x) / zeta
    positive = c * (_horner(_AI_AN, iz) / _horner(_AI_AD, iz)) / (_c(2.0, x) * jnp.sqrt(jnp.sqrt(xp)) * _exp(zeta))
    series = _airy_series(jnp.where((x >= -2.09) & (x < 2.09) | jnp.isnan(x), x, jnp.zeros_like(x)))
    return _where(
        jnp.isinf(x), _c(jnp.nan, x), x > 103.892, jnp.zeros_like(x), x < -2.09, negative, x >= 2.09, positive, series
    )


_UNARY = {
    "airy_ai": _airy_ai,
    "bessel_j0": _j0,
    "bessel_j1": _j1,
    "bessel_y0": _y0,
    "bessel_y1": _y1,
    "modified_bessel_i0": _i0,
    "modified_bessel_i1": _i1,
    "modified_bessel_k0": lambda x: _k(x, 0, False),
    "modified_bessel_k1": lambda x: _k(x, 1, False),
    "scaled_modified_bessel_k0": lambda x: _k(x, 0, True),
    "scaled_modified_bessel_k1": lambda x: _k(x, 1, True),
    "spherical_bessel_j0": _spherical_j0,
}


def _register_unary(name, fn):
    def pure(input):
        return fn(input)

    pure.__name__ = "special_" + name
    public = op(pure.__name__, promote=FLOAT, differentiable=False, method=False)(pure)
    R.OPS[pure.__name__].pointwise = True
    return public


UNARY = {name: _register_unary(name, fn) for name, fn in _UNARY.items()}


# ------------------------------------------------------------------------- orthogonal polynomials

_INT64_MIN = -(2**63)


def _degree(n, like):
    """torch's static_cast<int64_t>(n) of n in the computation dtype: truncation, and x86's INT64_MIN for NaN, inf
    and values out of range (a negative degree: the polynomial is 0)."""
    if jnp.issubdtype(n.dtype, jnp.integer):
        return n.astype(jnp.int64)
    ok = jnp.isfinite(n) & (jnp.abs(n) < 2.0**63)
    return jnp.where(ok, jnp.where(ok, n, 0).astype(jnp.int64), _INT64_MIN)


def _recurrence(live, q, step, k0, stop, x):
    """torch's three-term loop `for (k = k0; stop(k); k++) { r = step(k, p, q); p = q; q = r; }` (p starting at 1),
    run element by element while any element's loop runs; NaN ends the loop where torch checks for it."""
    k0 = jnp.asarray(k0, jnp.int64)

    def running(s):
        k, _, q, _ = s
        return live & stop(k) & ~jnp.isnan(q)

    def body(s):
        k, p, q, r = s
        on = running(s)
        new = step(k, p, q)
        return k + 1, jnp.where(on, q, p), jnp.where(on, new, q), jnp.where(on, new, r)

    init = (k0, jnp.ones_like(x), q, q)
    return jax.lax.while_loop(lambda s: jnp.any(running(s)), body, init)[3]


def _divisor(k, x):
    return _array(_f(k, x), x)


def _f(n, x):
    return n.astype(x.dtype)


def _trig_free(x, n, big):
    # the elements torch's loop runs for: not at the edges |x| == 1, nor in the trigonometric form
    return (jnp.abs(x) != 1) & ~((n > big) & (jnp.abs(x) < 1))


def _parity(n, even, odd):
    return jnp.where(n % 2 == 0, even, odd)


def _chebyshev_t(x, n):
    rec = _recurrence(_trig_free(x, n, 6), x, lambda k, p, q: (x + x) * q - p, 2, lambda k: k <= n, x)
    one = jnp.ones_like(x)
    return _where(
        n < 0, jnp.zeros_like(x), jnp.abs(x) == 1, jnp.where((x > 0) | (n % 2 == 0), one, -one),
        (n > 6) & (jnp.abs(x) < 1), _cos(_f(n, x) * _arccos(x)), n == 0, one, n == 1, x, rec,
    )  # fmt: skip


def _trig_u(y, n):
    # sin((n + 1) acos y) / sin(acos y), or (n + 1) cos((n + 1) acos y) / y where the sine is 0
    a = _arccos(y)
    m = _f(n + 1, y)
    return jnp.where(_sin(a) != 0, _sin(m * a) / _sin(a), m * _cos(m * a) / y)


def _chebyshev_u(x, n):
    rec = _recurrence(_trig_free(x, n, 8), x + x, lambda k, p, q: (x + x) * q - p, 2, lambda k: k <= n, x)
    m = _f(n + 1, x)
    return _where(
        n < 0, jnp.zeros_like(x), jnp.abs(x) == 1, jnp.where((x > 0) | (n % 2 == 0), m, -m),
        (n > 8) & (jnp.abs(x) < 1), _trig_u(x, n), n == 0, jnp.ones_like(x), n == 1, x + x, rec,
    )  # fmt: skip


def _trig_v(y, n):
    a = _arccos(y)
    two = _c(2.0, y)
    m = _f(n + n + 1, y)
    return jnp.where(_sin(a / two) != 1, _cos((_f(n, y) + _c(0.5, y)) * a) / _cos(a / two), _parity(n, m, -m))


def _trig_w(y, n):
    a = _arccos(y)
    two = _c(2.0, y)
    edge = _where(y > 0, _f(n + n + 1, y), _parity(n, jnp.ones_like(y), -jnp.ones_like(y)))
    return jnp.where(_cos(a / two) != 1, _sin((_f(n, y) + _c(0.5, y)) * a) / _sin(a / two), edge)


def _chebyshev_v(x, n):
    one = jnp.ones_like(x)
    q = x + x - one
    rec = _recurrence(_trig_free(x, n, 8), q, lambda k, p, q: (x + x) * q - p, 2, lambda k: k <= n, x)
    m = _f(n + n + 1, x)
    return _where(
        n < 0, jnp.zeros_like(x), jnp.abs(x) == 1, jnp.where(x > 0, one, _parity(n, m, -m)),
        (n > 8) & (jnp.abs(x) < 1), _trig_v(x, n), n == 0, one, n == 1, q, rec,
    )  # fmt: skip


def _chebyshev_w(x, n):
    one = jnp.ones_like(x)
    q = x + x + one
    rec = _recurrence(_trig_free(x, n, 8), q, lambda k, p, q: (x + x) * q - p, 2, lambda k: k <= n, x)
    return _where(
        n < 0, jnp.zeros_like(x), jnp.abs(x) == 1, jnp.where(x > 0, _f(n + n + 1, x), _parity(n, one, -one)),
        (n > 8) & (jnp.abs(x) < 1), _trig_w(x, n), n == 0, one, n == 1, q, rec,
    )  # fmt: skip


def _shifted(kind, x, n):
    """torch's shifted Chebyshev polynomials: y = x + x - 1 in place of x, the edges at x == 1 and x == 0, and the
    trigonometric form past degree 6 (4 for W)."""
    one, zero = jnp.ones_like(x), jnp.zeros_like(x)
    y = x + x - one
    q = {"t": y, "u": y + y, "v": y + y - one, "w": y + y + one}[kind]
    big = 4 if kind == "w" else 6
    live = (x != 1) & (x != 0) & ~((n > big) & (jnp.abs(y) < 1))
    rec = _recurrence(live, q, lambda k, p, q: (y + y) * q - p, 2, lambda k: k <= n, x)
    m1, m2 = _f(n + 1, x), _f(n + n + 1, x)
    at_one, at_zero, trig = {
        "t": (one, _parity(n, one, -one), _cos(_f(n, x) * _arccos(y))),
        "u": (m1, _parity(n, m1, -m1), _trig_u(y, n)),
        "v": (one, _parity(n, m2, -m2), _trig_v(y, n)),
        "w": (m2, _parity(n, one, -one), _trig_w(y, n)),
    }[kind]
    return _where(
        n < 0, zero, x == 1, at_one, x == 0, at_zero, (n > big) & (jnp.abs(y) < 1), trig, n == 0, one, n == 1, q, rec
    )


def _hermite_h(x, n):
    limit = 128 if x.dtype == jnp.float32 else 512
    # torch: for (k = 2; k < n + n; k += 2) r = (x + x) q - k p (r starting at 0): the j-th step has k = 2j
    rec = _recurrence(
        (n > 1) & (n <= limit), x + x, lambda j, p, q: (x + x) * q - _f(j + j, x) * p, 1, lambda j: j + j < n + n, x
    )
    return _where(n < 0, jnp.zeros_like(x), n == 0, jnp.ones_like(x), n == 1, x + x, n > limit, _c(jnp.nan, x), rec)


def _hermite_he(x, n):
    limit = 128 if x.dtype == jnp.float32 else 512
    rec = _recurrence((n > 1) & (n <= limit), x, lambda k, p, q: x * q - _f(k, x) * p, 1, lambda k: k < n, x)
    return _where(n < 0, jnp.zeros_like(x), n == 0, jnp.ones_like(x), n == 1, x, n > limit, _c(jnp.nan, x), rec)


def _laguerre_l(x, n):
    one = jnp.ones_like(x)
    step = lambda k, p, q: ((_f(k + k, x) + (one - x)) * q - _f(k, x) * p) / _divisor(k + 1, x)  # noqa: E731
    rec = _recurrence(x != 0, one - x, step, 1, lambda k: k < n, x)
    return _where(n < 0, jnp.zeros_like(x), jnp.abs(x) == 0, one, n == 0, one, n == 1, one - x, rec)


def _legendre_p(x, n):
    one = jnp.ones_like(x)
    step = lambda k, p, q: (_f(k + k + 1, x) * x * q - _f(k, x) * p) / _divisor(k + 1, x)  # noqa: E731
    rec = _recurrence(jnp.abs(x) != 1, x, step, 1, lambda k: k < n, x)
    return _where(
        n < 0, jnp.zeros_like(x), jnp.abs(x) == 1, jnp.where((x > 0) | (n % 2 == 0), one, -one), n == 0, one,
        n == 1, x, rec,
    )  # fmt: skip


_BINARY = {
    "chebyshev_polynomial_t": _chebyshev_t,
    "chebyshev_polynomial_u": _chebyshev_u,
    "chebyshev_polynomial_v": _chebyshev_v,
    "chebyshev_polynomial_w": _chebyshev_w,
    **{f"shifted_chebyshev_polynomial_{k}": (lambda x, n, _k=k: _shifted(_k, x, n)) for k in "tuvw"},
    "hermite_polynomial_h": _hermite_h,
    "hermite_polynomial_he": _hermite_he,
    "laguerre_polynomial_l": _laguerre_l,
    "legendre_polynomial_p": _legendre_p,
}


def _register_binary(name, fn):
    def pure(x, n):
        # the kernel casts both operands to the common floating dtype; the degree is that value cast to int64
        dt = jnp.result_type(x, n)  # (a Python number arrives weakly typed)
        x, n = jnp.broadcast_arrays(jnp.asarray(x, dt), jnp.asarray(n, dt))
        return fn(x, _degree(n, x))

    pure.__name__ = "special_" + name
    public = op(pure.__name__, n_tensors=2, promote=FLOAT, differentiable=False, method=False, check=_broadcast_check)(
        pure
    )
    R.OPS[pure.__name__].pointwise = True
    return public


BINARY = {name: _register_binary(name, fn) for name, fn in _BINARY.items()}
