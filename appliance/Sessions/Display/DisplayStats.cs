namespace EdgeGateway.Appliance.Sessions.Display;

/// <summary>What a <see cref="DisplayStreamer"/> has sent so far (frame payload bytes, without the 16-byte frame headers).</summary>
/// <param name="Frames">Frames of every display type.</param>
/// <param name="Bytes">Payload bytes of all those frames.</param>
/// <param name="Updates">DisplayUpdate frames.</param>
/// <param name="Rects">Rectangles in those updates.</param>
/// <param name="CopyRects">CopyRect rectangles forwarded as such.</param>
/// <param name="Keyframes">Keyframes (DisplayInit, the whole screen, the cursor).</param>
/// <param name="KeyframeBytes">Payload bytes of keyframes.</param>
/// <param name="RawDataBytes">Pixel and palette data before deflate.</param>
public readonly record struct DisplayStats(long Frames, long Bytes, long Updates, long Rects, long CopyRects, long Keyframes, long KeyframeBytes, long RawDataBytes);
