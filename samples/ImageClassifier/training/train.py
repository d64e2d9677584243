#!/usr/bin/env python3
"""Trains the ImageClassifier sample's digit model offline and writes everything the C# side ships.

The model is a small multilayer perceptron (64 inputs -> 32 ReLU -> 10 logits) trained with
scikit-learn on the handwritten digits data set that Debian's python3-sklearn package ships
(sklearn/datasets/data/digits.csv.gz: 1797 images of 8x8 pixels, 17 gray levels 0..16, labels 0..9).
Nothing is downloaded.

    apt-get install python3-sklearn
    /usr/bin/python3 samples/ImageClassifier/training/train.py

The run is deterministic (fixed split and seeds; scikit-learn 1.2 / numpy 1.24 as packaged by Debian)
and writes, relative to samples/ImageClassifier/:

    Model/digits-mlp.json       the weights, embedded into ImageClassifier.dll (see ModelFile.cs)
    images/digit-N.*            one held-out digit per class rendered as a real image file: PNGs in
                                every colour type and filter the C# decoder handles, a PGM and a PPM
    training/reference.json     what the C# tests check against: for each image the 8x8 input tensor
                                and the class probabilities this script computes, the raw pixels'
                                SHA-256, and the whole held-out split with this model's predictions

Input normalisation (the C# ImagePreprocessor does the same, see reference_preprocess below):
  1. gray = 0.299 R + 0.587 G + 0.114 B (exactly R when R = G = B), composited over white by alpha;
  2. polarity: if the mean gray of the image's outer 1-pixel frame is above 127.5 the image is dark
     ink on light paper and ink = (255 - gray) / 255, else ink = gray / 255;
  3. fit the whole image into 8x8 keeping its aspect ratio, centred, by area averaging (a box
     filter; the margins are ink 0);
  4. stretch to [0, 1]: (v - min) / (max - min) over the 64 values (all zeros when max == min).
The training data gets step 4 too (its values are ink already), so the model sees the same scale.

Class names are "zero" ... "nine" (index = digit).
"""
import hashlib
import json
import math
import os
import struct
import sys
import warnings
import zlib

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier

SEED = 0
HIDDEN = 32
ALPHAS = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]  # L2 penalty, chosen by 5-fold cross-validation on the training split
CLASSES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
SIDE = 8
TOP_K_PROBABILITIES = 25  # held-out samples whose full probability vectors go into reference.json

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.dirname(HERE)
MODEL_PATH = os.path.join(SAMPLE, "Model", "digits-mlp.json")
IMAGES = os.path.join(SAMPLE, "images")
REFERENCE_PATH = os.path.join(HERE, "reference.json")


# ----------------------------------------------------------------------------------------------
# Normalisation and the model's forward pass, written out so that C# can follow them exactly.

def stretch(values):
    """Step 4: maps the smallest value to 0 and the largest to 1 (all zeros when they are equal)."""
    values = np.asarray(values, dtype=np.float64)
    lo, hi = values.min(), values.max()
    if hi - lo < 1e-12:
        return np.zeros_like(values)
    return (values - lo) / (hi - lo)


def forward(layers, x):
    """Logits of the network: ReLU hidden layers, identity output."""
    a = np.asarray(x, dtype=np.float64)
    for i, (w, b) in enumerate(layers):
        a = a @ w + b
        if i < len(layers) - 1:
            a = np.maximum(a, 0.0)
    return a


def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def reference_preprocess(width, height, rgba):
    """Steps 1-4 on an image given as a flat list of (r, g, b, a) bytes, row by row."""
    gray = []
    for r, g, b, a in rgba:
        luma = float(r) if r == g == b else 0.299 * r + 0.587 * g + 0.114 * b
        alpha = a / 255.0
        gray.append(alpha * luma + (1.0 - alpha) * 255.0)
    frame = [gray[y * width + x] for y in range(height) for x in range(width)
             if x == 0 or y == 0 or x == width - 1 or y == height - 1]
    dark_on_light = sum(frame) / len(frame) > 127.5
    ink = [(255.0 - v) / 255.0 if dark_on_light else v / 255.0 for v in gray]

    scale = max(width / SIDE, height / SIDE)  # source pixels per target pixel
    off_x = (SIDE - width / scale) / 2.0
    off_y = (SIDE - height / scale) / 2.0
    out = []
    for ty in range(SIDE):
        y0 = max(0.0, (ty - off_y) * scale)
        y1 = min(float(height), (ty + 1 - off_y) * scale)
        for tx in range(SIDE):
            x0 = max(0.0, (tx - off_x) * scale)
            x1 = min(float(width), (tx + 1 - off_x) * scale)
            total = 0.0
            if x1 > x0 and y1 > y0:
                for iy in range(int(math.floor(y0)), int(math.ceil(y1))):
                    wy = min(iy + 1.0, y1) - max(float(iy), y0)
                    if wy <= 0:
                        continue
                    row = 0.0
                    for ix in range(int(math.floor(x0)), int(math.ceil(x1))):
                        wx = min(ix + 1.0, x1) - max(float(ix), x0)
                        if wx > 0:
                            row += wx * ink[iy * width + ix]
                    total += wy * row
            out.append(total / (scale * scale))
    return stretch(out)


# ----------------------------------------------------------------------------------------------
# Image writers: PNG with zlib from the standard library, binary PGM/PPM.

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind, row, prev, bpp):
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - predictor) & 0xFF)
    return bytes(out)


def write_png(path, width, height, color_type, rows, filters, palette=None, trns=None):
    """rows: raw scanlines (bytes, 8 bits per sample); filters: the filter type of each row."""
    bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    raw = bytearray()
    prev = bytes(width * bpp)
    for y, row in enumerate(rows):
        kind = filters[y % len(filters)]
        raw.append(kind)
        raw += filter_row(kind, row, prev, bpp)
        prev = row
    data = b"\x89PNG\r\n\x1a\n"
    data += png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0))
    data += png_chunk(b"tEXt", b"Comment\x00rendered by samples/ImageClassifier/training/train.py")
    if palette is not None:
        data += png_chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    if trns is not None:
        data += png_chunk(b"tRNS", bytes(trns))
    compressed = zlib.compress(bytes(raw), 9)
    # Two IDAT chunks: decoders must concatenate them.
    half = len(compressed) // 2
    data += png_chunk(b"IDAT", compressed[:half]) + png_chunk(b"IDAT", compressed[half:])
    data += png_chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def write_pnm(path, width, height, channels, pixels):
    magic = b"P5" if channels == 1 else b"P6"
    header = magic + b"\n# rendered by samples/ImageClassifier/training/train.py\n" + f"{width} {height}\n255\n".encode()
    with open(path, "wb") as f:
        f.write(header + bytes(pixels))


# ----------------------------------------------------------------------------------------------
# Rendering one 8x8 sample (values 0..16) at `scale` pixels per cell.

def upscale(levels, scale):
    """levels: 8x8 ink levels 0..16 -> (side, side) array of the same levels, nearest neighbour."""
    return np.kron(np.asarray(levels).reshape(SIDE, SIDE), np.ones((scale, scale), dtype=np.int64))


def blend(paper, ink, level):
    """Colour of a cell with `level`/16 ink on `paper`, rounded to bytes."""
    t = level / 16.0
    return tuple(int(round(p + (i - p) * t)) for p, i in zip(paper, ink))


def render(label, levels, stem):
    """Writes one image file in the format chosen for `label`; returns (file name, width, height, rgba)."""
    if label == 0:  # grayscale, filter None, dark on white
        up = upscale(levels, 8)
        gray = [255 - int(round(v * 255 / 16)) for v in up.flatten()]
        rows = [bytes(gray[y * 64:(y + 1) * 64]) for y in range(64)]
        name = stem + ".png"
        write_png(os.path.join(IMAGES, name), 64, 64, 0, rows, [0])
        return name, 64, 64, [(g, g, g, 255) for g in gray]
    if label == 1:  # grayscale, filter Sub
        up = upscale(levels, 8)
        gray = [255 - int(round(v * 255 / 16)) for v in up.flatten()]
        rows = [bytes(gray[y * 64:(y + 1) * 64]) for y in range(64)]
        name = stem + ".png"
        write_png(os.path.join(IMAGES, name), 64, 64, 0, rows, [1])
        return name, 64, 64, [(g, g, g, 255) for g in gray]
    if label in (2, 7):  # RGB: blue ink on cream paper (filter Up), red ink on white (all filters in turn)
        side, scale = (64, 8) if label == 2 else (40, 5)
        paper, ink = ((250, 244, 226), (24, 40, 140)) if label == 2 else ((255, 255, 255), (170, 20, 20))
        up = upscale(levels, scale)
        pixels = [blend(paper, ink, v) for v in up.flatten()]
        rows = [bytes(c for p in pixels[y * side:(y + 1) * side] for c in p) for y in range(side)]
        name = stem + ".png"
        write_png(os.path.join(IMAGES, name), side, side, 2, rows, [2] if label == 2 else [0, 1, 2, 3, 4])
        return name, side, side, [p + (255,) for p in pixels]
    if label == 3:  # RGBA: black ink whose alpha is the ink level, on a transparent background; Average
        up = upscale(levels, 8)
        alphas = [int(round(v * 255 / 16)) for v in up.flatten()]
        rows = [bytes(c for a in alphas[y * 64:(y + 1) * 64] for c in (0, 0, 0, a)) for y in range(64)]
        name = stem + ".png"
        write_png(os.path.join(IMAGES, name), 64, 64, 6, rows, [3])
        return name, 64, 64, [(0, 0, 0, a) for a in alphas]
    if label == 4:  # palette: 17 shades of dark green on white, filter Paeth
        palette = [blend((255, 255, 255), (0, 90, 40), v) for v in range(17)]
        up = upscale(levels, 8)
        idx = [int(v) for v in up.flatten()]
        rows = [bytes(idx[y * 64:(y + 1) * 64]) for y in range(64)]
        name = stem + ".png"
        write_png(os.path.join(IMAGES, name), 64, 64, 3, rows, [4], palette=palette)
        return name, 64, 64, [palette[i] + (255,) for i in idx]
    if label == 5:  # gray + alpha: gray ink, alpha = level, rows cycle through all five filters
        up = upscale(levels, 8)
        alphas = [int(round(v * 255 / 16)) for v in up.flatten()]
        rows = [bytes(c for a in alphas[y * 64:(y + 1) * 64] for c in (40, a)) for y in range(64)]
        name = stem + ".png"
        write_png(os.path.join(IMAGES, name), 64, 64, 4, rows, [4, 3, 2, 1, 0])
        return name, 64, 64, [(40, 40, 40, a) for a in alphas]
    if label == 6:  # grayscale, white on black (MNIST style), 32x32, filter Average
        up = upscale(levels, 4)
        gray = [int(round(v * 255 / 16)) for v in up.flatten()]
        rows = [bytes(gray[y * 32:(y + 1) * 32]) for y in range(32)]
        name = stem + ".png"
        write_png(os.path.join(IMAGES, name), 32, 32, 0, rows, [3])
        return name, 32, 32, [(g, g, g, 255) for g in gray]
    if label == 8:  # binary PGM (P5)
        up = upscale(levels, 8)
        gray = [255 - int(round(v * 255 / 16)) for v in up.flatten()]
        name = stem + ".pgm"
        write_pnm(os.path.join(IMAGES, name), 64, 64, 1, gray)
        return name, 64, 64, [(g, g, g, 255) for g in gray]
    if label == 9:  # binary PPM (P6), dark purple on white, 48x48
        up = upscale(levels, 6)
        pixels = [blend((255, 255, 255), (60, 0, 90), v) for v in up.flatten()]
        name = stem + ".ppm"
        write_pnm(os.path.join(IMAGES, name), 48, 48, 3, [c for p in pixels for c in p])
        return name, 48, 48, [p + (255,) for p in pixels]
    raise ValueError(label)


# ----------------------------------------------------------------------------------------------

def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    digits = load_digits()  # reads sklearn/datasets/data/digits.csv.gz from the package
    levels = digits.data.astype(np.int64)  # (1797, 64), 0..16
    x = np.array([stretch(row) for row in levels])
    y = digits.target.astype(np.int64)
    index = np.arange(len(y))
    train_idx, test_idx = train_test_split(index, test_size=0.25, random_state=SEED, stratify=y)

    def make(alpha):
        return MLPClassifier(hidden_layer_sizes=(HIDDEN,), activation="relu", solver="lbfgs",
                             alpha=alpha, max_iter=5000, random_state=SEED)

    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    cv = {a: cross_val_score(make(a), x[train_idx], y[train_idx], cv=folds).mean() for a in ALPHAS}
    alpha = max(ALPHAS, key=lambda a: (cv[a], -a))
    for a in ALPHAS:
        print(f"alpha={a:g}: 5-fold CV accuracy {cv[a]:.4f}{'  <- chosen' if a == alpha else ''}")

    model = make(alpha).fit(x[train_idx], y[train_idx])
    layers = [(w, b) for w, b in zip(model.coefs_, model.intercepts_)]
    probabilities = np.array([softmax(forward(layers, row)) for row in x[test_idx]])
    assert np.allclose(probabilities, model.predict_proba(x[test_idx]), atol=1e-12), "forward pass differs from sklearn"
    predicted = probabilities.argmax(axis=1)
    accuracy = float((predicted == y[test_idx]).mean())
    print(f"held-out accuracy: {accuracy:.4f} ({int((predicted == y[test_idx]).sum())}/{len(test_idx)}), "
          f"training accuracy: {model.score(x[train_idx], y[train_idx]):.4f}")
    if accuracy < 0.95:
        sys.exit("held-out accuracy below 0.95")

    os.makedirs(os.path.dirname(MODEL_PATH), exist_ok=True)
    model_json = {
        "format": "serve-mlp/1",
        "description": f"Handwritten digits, 8x8 input, MLP 64-{HIDDEN}-10 (ReLU), trained by "
                       "samples/ImageClassifier/training/train.py on scikit-learn's digits data set.",
        "heldout_accuracy": round(accuracy, 6),
        "input": {"width": SIDE, "height": SIDE},
        "classes": CLASSES,
        # weights: row-major [outputs][inputs], i.e. output o = bias[o] + sum_i weights[o*inputs + i] * x[i]
        "layers": [
            {
                "inputs": int(w.shape[0]),
                "outputs": int(w.shape[1]),
                "activation": "relu" if i < len(layers) - 1 else "identity",
                "weights": [float(v) for v in w.T.flatten()],
                "bias": [float(v) for v in b],
            }
            for i, (w, b) in enumerate(layers)
        ],
    }
    with open(MODEL_PATH, "w") as f:
        json.dump(model_json, f, separators=(",", ":"))
        f.write("\n")

    # One held-out image per class: the first held-out sample of that class that the model gets right
    # after rendering and the C# pipeline's preprocessing.
    os.makedirs(IMAGES, exist_ok=True)
    images = []
    for label in range(10):
        for i in test_idx:
            if y[i] != label:
                continue
            name, width, height, rgba = render(label, levels[i], f"digit-{label}")
            tensor = reference_preprocess(width, height, rgba)
            probs = softmax(forward(layers, tensor))
            if int(probs.argmax()) == label:
                break
        else:
            sys.exit(f"no held-out {label} survives rendering")
        digest = hashlib.sha256(bytes(c for p in rgba for c in p)).hexdigest()
        order = np.argsort(-probs, kind="stable")
        print(f"images/{name}: {width}x{height}, sample #{int(i)}, "
              + ", ".join(f"{CLASSES[k]} {probs[k]:.4f}" for k in order[:3]))
        images.append({
            "file": name,
            "label": label,
            "class": CLASSES[label],
            "sample": int(i),
            "width": width,
            "height": height,
            "rgba_sha256": digest,
            "tensor": [float(v) for v in tensor],
            "probabilities": [float(v) for v in probs],
        })

    alphabet = "0123456789abcdefg"
    reference = {
        "about": "Written by train.py; the C# tests compare against it. heldout.samples: one string of 64 "
                 "base-17 digits (0-9, a-g = ink levels 0..16) per held-out sample, row by row.",
        "heldout_accuracy": accuracy,
        "images": images,
        "heldout": {
            "samples": ["".join(alphabet[v] for v in levels[i]) for i in test_idx],
            "labels": [int(y[i]) for i in test_idx],
            "predicted": [int(v) for v in predicted],
            "probabilities": [[float(v) for v in row] for row in probabilities[:TOP_K_PROBABILITIES]],
        },
    }
    with open(REFERENCE_PATH, "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(MODEL_PATH, SAMPLE)} ({os.path.getsize(MODEL_PATH)} bytes), "
          f"{os.path.relpath(REFERENCE_PATH, SAMPLE)} and {len(images)} images")


if __name__ == "__main__":
    main()
