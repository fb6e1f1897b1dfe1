package dev.ringfence.agent.gates;

import static dev.ringfence.agent.gates.GateKind.DENY;
import static dev.ringfence.agent.gates.GateKind.FILE_COPY;
import static dev.ringfence.agent.gates.GateKind.FILE_OPEN;
import static dev.ringfence.agent.gates.GateKind.FILE_RAF;
import static dev.ringfence.agent.gates.GateKind.FILE_READ;
import static dev.ringfence.agent.gates.GateKind.FILE_TEMP;
import static dev.ringfence.agent.gates.GateKind.FILE_WRITE;

import java.util.List;

/**
 * The rows of the gate table for files: {@code java.io} streams and {@code File}, and the default
 * (Unix) file system provider of {@code java.nio.file} with its attribute views. {@code Files},
 * {@code FileChannel}, {@code ZipFile} and the rest all end in these. Same rows on JDK 17 and 25.
 */
final class FileChokePoints {
    private static final String FS = "sun/nio/fs/";
    private static final String PATH_ARG = "p0";
    private static final String THIS = "this";

    private FileChokePoints() {
    }

    static void add(List<GateSpec> t) {
        t.add(GateSpec.of(GateTable.FILES, FILE_READ, "java/io/FileInputStream", "<init>", "(Ljava/io/File;)V").a(PATH_ARG));
        t.add(GateSpec.of(GateTable.FILES, DENY, "java/io/FileInputStream", "<init>", "(Ljava/io/FileDescriptor;)V")
                .api("java.io.FileInputStream(FileDescriptor)"));
        t.add(GateSpec.of(GateTable.FILES, FILE_WRITE, "java/io/FileOutputStream", "<init>", "(Ljava/io/File;Z)V").a(PATH_ARG));
        t.add(GateSpec.of(GateTable.FILES, DENY, "java/io/FileOutputStream", "<init>", "(Ljava/io/FileDescriptor;)V")
                .api("java.io.FileOutputStream(FileDescriptor)"));
        t.add(GateSpec.of(GateTable.FILES, FILE_RAF, "java/io/RandomAccessFile", "<init>", "(Ljava/io/File;Ljava/lang/String;Z)V")
                .ab(PATH_ARG, "p1"));
        String file = "java/io/File";
        for (String m : new String[] {"exists", "isDirectory", "isFile", "isHidden", "canRead", "canWrite", "canExecute",
                "lastModified", "length", "list", "listFiles", "getCanonicalPath", "getTotalSpace", "getFreeSpace",
                "getUsableSpace"}) {
            t.add(GateSpec.of(GateTable.FILES, FILE_READ, file, m, null).a(THIS));
        }
        for (String m : new String[] {"createNewFile", "delete", "deleteOnExit", "mkdir", "setLastModified", "setReadOnly",
                "setWritable", "setReadable", "setExecutable"}) {
            t.add(GateSpec.of(GateTable.FILES, FILE_WRITE, file, m, null).a(THIS));
        }
        t.add(GateSpec.of(GateTable.FILES, FILE_WRITE, file, "renameTo", null).ab(THIS, PATH_ARG));
        t.add(GateSpec.of(GateTable.FILES, FILE_TEMP, file, "createTempFile", "(Ljava/lang/String;Ljava/lang/String;Ljava/io/File;)Ljava/io/File;")
                .a("p2"));
        // a jar: URL reuses a JarFile the JVM keeps open for the URL (the host's own jars, once
        // host code has read a resource through one): the file is read without being opened
        String jars = "sun/net/www/protocol/jar/JarFileFactory";
        t.add(GateSpec.of(GateTable.FILES, FILE_READ, jars, "get", "(Ljava/net/URL;Z)Ljava/util/jar/JarFile;").a(PATH_ARG)
                .api("java.net.JarURLConnection.getJarFile"));
        t.add(GateSpec.of(GateTable.FILES, FILE_READ, jars, "getOrCreate", "(Ljava/net/URL;Z)Ljava/util/jar/JarFile;").a(PATH_ARG)
                .api("java.net.JarURLConnection.getJarFile"));
        nio(t);
    }

    private static void nio(List<GateSpec> t) {
        String files = "java.nio.file.Files.";
        for (String owner : new String[] {FS + "UnixFileSystemProvider", FS + "LinuxFileSystemProvider",
                FS + "AbstractFileSystemProvider"}) {
            for (String m : new String[] {"newDirectoryStream", "checkAccess", "readAttributes", "readAttributesIfExists",
                    "getFileAttributeView", "readSymbolicLink", "isHidden", "getFileStore", "exists", "isDirectory",
                    "isRegularFile", "isReadable", "isWritable", "isExecutable"}) {
                t.add(GateSpec.of(GateTable.FILES, FILE_READ, owner, m, null).a(PATH_ARG).api(files + m));
            }
            t.add(GateSpec.of(GateTable.FILES, FILE_READ, owner, "isSameFile", null).ab(PATH_ARG, "p1").api(files + "isSameFile"));
            for (String m : new String[] {"newByteChannel", "newFileChannel", "newAsynchronousFileChannel"}) {
                t.add(GateSpec.of(GateTable.FILES, FILE_OPEN, owner, m, null).ab(PATH_ARG, "p1").api(files + m));
            }
            t.add(GateSpec.of(GateTable.FILES, FILE_WRITE, owner, "createDirectory", null).a(PATH_ARG).api(files + "createDirectory"));
            t.add(GateSpec.of(GateTable.FILES, FILE_WRITE, owner, "implDelete", null).a(PATH_ARG).api(files + "delete"));
            t.add(GateSpec.of(GateTable.FILES, FILE_WRITE, owner, "setAttribute", null).a(PATH_ARG).api(files + "setAttribute"));
            t.add(GateSpec.of(GateTable.FILES, FILE_COPY, owner, "copy", null).ab(PATH_ARG, "p1").api(files + "copy"));
            t.add(GateSpec.of(GateTable.FILES, FILE_WRITE, owner, "move", null).ab(PATH_ARG, "p1").api(files + "move"));
            // a link could point a granted directory at any file: never from handler code
            t.add(GateSpec.of(GateTable.FILES, DENY, owner, "createSymbolicLink", null).api(files + "createSymbolicLink"));
            t.add(GateSpec.of(GateTable.FILES, DENY, owner, "createLink", null).api(files + "createLink"));
        }
        t.add(GateSpec.of(GateTable.FILES, FILE_READ, FS + "UnixPath", "toRealPath", null).a(THIS).api("java.nio.file.Path.toRealPath"));
        t.add(GateSpec.of(GateTable.FILES, FILE_READ, FS + "UnixPath", "register", null).a(THIS).api("java.nio.file.Path.register"));
        String basicFile = "f:" + FS + "UnixFileAttributeViews$Basic.file:L" + FS + "UnixPath;";
        String views = "java.nio.file.attribute.";
        t.add(GateSpec.of(GateTable.FILES, FILE_WRITE, FS + "UnixFileAttributeViews$Basic", "setTimes", null).a(basicFile)
                .api(views + "BasicFileAttributeView.setTimes"));
        t.add(GateSpec.of(GateTable.FILES, FILE_WRITE, FS + "UnixFileAttributeViews$Posix", "setMode", null).a(basicFile)
                .api(views + "PosixFileAttributeView.setPermissions"));
        t.add(GateSpec.of(GateTable.FILES, FILE_WRITE, FS + "UnixFileAttributeViews$Posix", "setOwners", null).a(basicFile)
                .api(views + "PosixFileAttributeView.setOwner"));
        for (String m : new String[] {"setReadOnly", "setHidden", "setArchive", "setSystem"}) {
            t.add(GateSpec.of(GateTable.FILES, FILE_WRITE, FS + "LinuxDosFileAttributeView", m, null).a(basicFile)
                    .api(views + "DosFileAttributeView." + m));
        }
        String userFile = "f:" + FS + "UnixUserDefinedFileAttributeView.file:L" + FS + "UnixPath;";
        t.add(GateSpec.of(GateTable.FILES, FILE_WRITE, FS + "UnixUserDefinedFileAttributeView", "write",
                "(Ljava/lang/String;Ljava/nio/ByteBuffer;)I").a(userFile).api(views + "UserDefinedFileAttributeView.write"));
        t.add(GateSpec.of(GateTable.FILES, FILE_WRITE, FS + "UnixUserDefinedFileAttributeView", "delete", "(Ljava/lang/String;)V")
                .a(userFile).api(views + "UserDefinedFileAttributeView.delete"));
        for (String m : new String[] {"newByteChannel", "deleteFile", "deleteDirectory", "move"}) {
            t.add(GateSpec.of(GateTable.FILES, DENY, FS + "UnixSecureDirectoryStream", m, null).api("java.nio.file.SecureDirectoryStream." + m));
        }
    }

}
