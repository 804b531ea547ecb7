using System.Runtime.InteropServices;

namespace EdgeGateway.Appliance.Interop;

/// <summary>
/// The C library calls .NET does not expose: <c>fsync</c> of a directory, so that a <c>rename</c> into it survives a
/// power loss (POSIX leaves the directory entry in the page cache until then; ext4 and f2fs on an SD card do too).
/// </summary>
internal static partial class LibC
{
    private const string Library = "libc";
    private const int ReadOnly = 0; // O_RDONLY opens a directory too (O_DIRECTORY's value differs between x86-64 and arm64)

    [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport(Library, EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport(Library, EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>Flushes a directory's entries to storage; no-op off Linux.</summary>
    /// <exception cref="IOException">The directory cannot be opened or flushed.</exception>
    public static void FsyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(path, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Cannot open {path} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"Cannot flush {path} (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }
}
