using ImageClassification.Imaging;

namespace ImageClassification;

/// <summary>
/// Turns image bytes into the model's input (the guide's <c>DataPreprocessor</c>):
/// <list type="number">
/// <item>decode (<see cref="ImageDecoder"/>: PNG, binary PGM/PPM);</item>
/// <item>grayscale: <c>0.299 R + 0.587 G + 0.114 B</c> (exactly R when R = G = B), composited over white by alpha;</item>
/// <item>polarity: when the mean gray of the outer 1-pixel frame is above 127.5 the image is dark ink on
/// light paper and <c>ink = (255 - gray) / 255</c>, else light ink on dark (<c>ink = gray / 255</c>);</item>
/// <item>fit the whole image into <see cref="Width"/> × <see cref="Height"/> keeping its aspect ratio,
/// centred, by area averaging (a box filter; the margins are ink 0);</item>
/// <item>stretch to [0, 1]: <c>(v - min) / (max - min)</c> (all zeros for a blank image).</item>
/// </list>
/// <c>training/train.py</c> applies the same steps (its <c>reference_preprocess</c>), and the last one to
/// the training data too.
/// </summary>
public sealed class ImagePreprocessor
{
    /// <summary>Creates a preprocessor producing <paramref name="width"/> × <paramref name="height"/> tensors.</summary>
    public ImagePreprocessor(int width = 8, int height = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
    }

    /// <summary>Output columns.</summary>
    public int Width { get; }

    /// <summary>Output rows.</summary>
    public int Height { get; }

    /// <summary>Decodes and preprocesses an encoded image.</summary>
    /// <exception cref="ImageDecodeException">The bytes are not a supported image.</exception>
    public ImageTensor Preprocess(ReadOnlySpan<byte> encodedImage) => Preprocess(ImageDecoder.Decode(encodedImage));

    /// <summary>Preprocesses a decoded image.</summary>
    public ImageTensor Preprocess(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var gray = ToGray(image);
        var ink = ToInk(gray, image.Width, image.Height);
        var fitted = Fit(ink, image.Width, image.Height, Width, Height);
        Stretch(fitted);
        var values = new float[fitted.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)fitted[i];
        }
        return new ImageTensor(Width, Height, values);
    }

    /// <summary>Luma (ITU-R BT.601 weights) of every pixel, composited over white by its alpha, in 0..255.</summary>
    public static double[] ToGray(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var rgba = image.Rgba;
        var gray = new double[(long)image.Width * image.Height];
        for (var i = 0; i < gray.Length; i++)
        {
            byte r = rgba[i * 4], g = rgba[i * 4 + 1], b = rgba[i * 4 + 2];
            // Gray pixels keep their value exactly (the weighted sum could be off in the last bit).
            var luma = r == g && g == b ? r : 0.299 * r + 0.587 * g + 0.114 * b;
            var alpha = rgba[i * 4 + 3] / 255.0;
            gray[i] = alpha * luma + (1.0 - alpha) * 255.0;
        }
        return gray;
    }

    /// <summary>Whether the image is dark on light: the mean gray of its outer 1-pixel frame is above 127.5.</summary>
    public static bool IsDarkOnLight(ReadOnlySpan<double> gray, int width, int height)
    {
        double sum = 0;
        long count = 0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (x == 0 || y == 0 || x == width - 1 || y == height - 1)
                {
                    sum += gray[y * width + x];
                    count++;
                }
            }
        }
        return sum / count > 127.5;
    }

    /// <summary>Ink in 0..1 (0 = paper) from gray, with the polarity of <see cref="IsDarkOnLight"/>.</summary>
    public static double[] ToInk(double[] gray, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(gray);
        var darkOnLight = IsDarkOnLight(gray, width, height);
        var ink = new double[gray.Length];
        for (var i = 0; i < ink.Length; i++)
        {
            ink[i] = darkOnLight ? (255.0 - gray[i]) / 255.0 : gray[i] / 255.0;
        }
        return ink;
    }

    /// <summary>
    /// Fits a <paramref name="width"/> × <paramref name="height"/> plane into
    /// <paramref name="targetWidth"/> × <paramref name="targetHeight"/> keeping its aspect ratio, centred:
    /// each output value is the area-weighted mean of the source pixels it covers (0 outside the image).
    /// </summary>
    public static double[] Fit(ReadOnlySpan<double> source, int width, int height, int targetWidth, int targetHeight)
    {
        var scale = Math.Max((double)width / targetWidth, (double)height / targetHeight); // source pixels per target pixel
        var offsetX = (targetWidth - width / scale) / 2.0;
        var offsetY = (targetHeight - height / scale) / 2.0;
        var output = new double[targetWidth * targetHeight];
        for (var ty = 0; ty < targetHeight; ty++)
        {
            var y0 = Math.Max(0.0, (ty - offsetY) * scale);
            var y1 = Math.Min(height, (ty + 1 - offsetY) * scale);
            for (var tx = 0; tx < targetWidth; tx++)
            {
                var x0 = Math.Max(0.0, (tx - offsetX) * scale);
                var x1 = Math.Min(width, (tx + 1 - offsetX) * scale);
                var total = 0.0;
                if (x1 > x0 && y1 > y0)
                {
                    for (var iy = (int)Math.Floor(y0); iy < (int)Math.Ceiling(y1); iy++)
                    {
                        var wy = Math.Min(iy + 1.0, y1) - Math.Max(iy, y0);
                        if (wy <= 0)
                        {
                            continue;
                        }
                        var row = 0.0;
                        for (var ix = (int)Math.Floor(x0); ix < (int)Math.Ceiling(x1); ix++)
                        {
                            var wx = Math.Min(ix + 1.0, x1) - Math.Max(ix, x0);
                            if (wx > 0)
                            {
                                row += wx * source[iy * width + ix];
                            }
                        }
                        total += wy * row;
                    }
                }
                output[ty * targetWidth + tx] = total / (scale * scale);
            }
        }
        return output;
    }

    /// <summary>Maps the smallest value to 0 and the largest to 1, in place (all zeros when they are equal).</summary>
    public static void Stretch(Span<double> values)
    {
        if (values.IsEmpty)
        {
            return;
        }
        double lo = double.MaxValue, hi = double.MinValue;
        foreach (var v in values)
        {
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }
        var range = hi - lo;
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = range < 1e-12 ? 0.0 : (values[i] - lo) / range;
        }
    }
}
