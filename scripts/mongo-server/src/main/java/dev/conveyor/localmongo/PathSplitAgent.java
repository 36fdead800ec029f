package dev.conveyor.localmongo;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * A Java agent ({@code -javaagent:conveyor-local-mongo-1.0.0.jar}, as scripts/infra.sh starts
 * the server) that makes mongo-java-server's {@code Utils.splitPath(String)} call
 * {@link PathSplits#split(String)}: the same parts, without a regular expression and a stream
 * per field access. The method's body is replaced when the class loads; if that fails the
 * class loads unchanged and the server works as before (a line on stderr says so).
 */
public final class PathSplitAgent {

    private static final String UTILS = "de/bwaldvogel/mongo/backend/Utils";
    private static final String DESCRIPTOR = "(Ljava/lang/String;)Ljava/util/List;";

    private PathSplitAgent() {}

    public static void premain(String args, Instrumentation inst) {
        inst.addTransformer(new ClassFileTransformer() {
            @Override
            public byte[] transform(ClassLoader loader, String name, Class<?> redefined,
                    ProtectionDomain domain, byte[] bytes) {
                if (!UTILS.equals(name)) {
                    return null;
                }
                try {
                    return rewrite(bytes);
                } catch (RuntimeException e) {
                    System.err.println("conveyor-local-mongo: path split cache not installed: " + e);
                    return null;
                }
            }
        });
    }

    static byte[] rewrite(byte[] bytes) {
        ClassReader reader = new ClassReader(bytes);
        ClassWriter writer = new ClassWriter(reader, 0);
        boolean[] found = {false};
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String method, String descriptor,
                    String signature, String[] exceptions) {
                MethodVisitor out = super.visitMethod(access, method, descriptor, signature, exceptions);
                if (!"splitPath".equals(method) || !DESCRIPTOR.equals(descriptor)
                        || (access & Opcodes.ACC_STATIC) == 0) {
                    return out;
                }
                found[0] = true;
                out.visitCode();
                out.visitVarInsn(Opcodes.ALOAD, 0);
                out.visitMethodInsn(Opcodes.INVOKESTATIC, "dev/conveyor/localmongo/PathSplits",
                    "split", DESCRIPTOR, false);
                out.visitInsn(Opcodes.ARETURN);
                out.visitMaxs(1, 1);
                out.visitEnd();
                // n.b. the original body is dropped: nothing visits the writer's method again
                return null;
            }
        }, 0);
        if (!found[0]) {
            throw new IllegalStateException("Utils.splitPath(String) not found");
        }
        return writer.toByteArray();
    }
}
