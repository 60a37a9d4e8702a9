import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/**
 * A JeroMQ 0.3.6 peer (ZMTP 2.0) for Baton's interop tests, driven over stdin/stdout like peer.py.
 *
 * One command per stdin line, tokens separated by spaces; one answer line per command ("ok ...",
 * "frames ...", "timeout" or "error ..."). A frame is "x" followed by its bytes in hex ("x" alone is
 * an empty frame), or "r{byte}:{count}" for count copies of a byte; received frames over 64 KiB come
 * back as "h{length}:{sha256}". The process exits when stdin closes, so a crashed test leaves nothing.
 *
 *   socket TYPE [IDENTITY-FRAME] [mandatory]   bind ENDPOINT   connect ENDPOINT
 *   send FRAME...   recv TIMEOUT-MS   subscribe FRAME
 */
public final class JeroPeer {
    private static ZMQ.Context context;
    private static ZMQ.Socket socket;

    public static void main(String[] args) throws Exception {
        context = ZMQ.context(1);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("ready");
        System.out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) {
                continue;
            }

            String answer;
            try {
                answer = handle(line.trim().split(" "));
            } catch (Exception e) {
                // Report, never die silently.
                answer = "error " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' ');
            }

            System.out.println(answer);
            System.out.flush();
        }

        if (socket != null) {
            socket.close();
        }

        context.term();
    }

    private static String handle(String[] words) throws Exception {
        switch (words[0]) {
            case "socket": {
                socket = context.socket(type(words[1]));
                socket.setLinger(2000);
                for (int i = 2; i < words.length; i++) {
                    if (words[i].equals("mandatory")) {
                        socket.setRouterMandatory(true);
                    } else {
                        socket.setIdentity(frame(words[i]));
                    }
                }

                return "ok";
            }
            case "bind": {
                String endpoint = words[1];
                if (endpoint.endsWith(":*")) {
                    int port = socket.bindToRandomPort(endpoint.substring(0, endpoint.length() - 2));
                    return "ok " + endpoint.substring(0, endpoint.length() - 1) + port;
                }

                socket.bind(endpoint);
                return "ok " + endpoint;
            }
            case "connect":
                socket.connect(words[1]);
                return "ok";
            case "subscribe":
                socket.subscribe(frame(words[1]));
                return "ok";
            case "send":
                return send(words);
            case "recv":
                return receive(Integer.parseInt(words[1]));
            default:
                return "error unknown command " + words[0];
        }
    }

    /** Sends a whole message, retrying while the route or room is not there yet (ROUTER_MANDATORY, HWM). */
    private static String send(String[] words) throws Exception {
        List<byte[]> frames = new ArrayList<>();
        for (int i = 1; i < words.length; i++) {
            frames.add(frame(words[i]));
        }

        long deadline = System.currentTimeMillis() + 10000;
        while (true) {
            boolean sent;
            try {
                sent = socket.send(frames.get(0), ZMQ.DONTWAIT | (frames.size() > 1 ? ZMQ.SNDMORE : 0));
            } catch (ZMQException e) {
                sent = false;
            }

            if (sent) {
                for (int i = 1; i < frames.size(); i++) {
                    // The rest of a message that started cannot fail for want of room or route.
                    socket.send(frames.get(i), i < frames.size() - 1 ? ZMQ.SNDMORE : 0);
                }

                return "ok";
            }

            if (System.currentTimeMillis() > deadline) {
                return "error send timed out";
            }

            Thread.sleep(5);
        }
    }

    private static String receive(int timeoutMs) throws Exception {
        socket.setReceiveTimeOut(timeoutMs);
        byte[] first = socket.recv(0);
        if (first == null) {
            return "timeout";
        }

        StringBuilder answer = new StringBuilder("frames ").append(describe(first));
        while (socket.hasReceiveMore()) {
            answer.append(' ').append(describe(socket.recv(0)));
        }

        return answer.toString();
    }

    private static String describe(byte[] frame) throws Exception {
        if (frame.length > 65536) {
            return "h" + frame.length + ":" + hex(MessageDigest.getInstance("SHA-256").digest(frame));
        }

        return "x" + hex(frame);
    }

    private static byte[] frame(String word) {
        if (word.startsWith("r")) {
            String[] parts = word.substring(1).split(":");
            byte[] bytes = new byte[Integer.parseInt(parts[1])];
            java.util.Arrays.fill(bytes, (byte) Integer.parseInt(parts[0]));
            return bytes;
        }

        String hex = word.substring(1);
        byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }

        return bytes;
    }

    private static String hex(byte[] bytes) {
        StringBuilder text = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            text.append(String.format("%02x", b & 0xFF));
        }

        return text.toString();
    }

    private static int type(String name) {
        switch (name) {
            case "PAIR": return ZMQ.PAIR;
            case "PUB": return ZMQ.PUB;
            case "SUB": return ZMQ.SUB;
            case "XPUB": return ZMQ.XPUB;
            case "XSUB": return ZMQ.XSUB;
            case "REQ": return ZMQ.REQ;
            case "REP": return ZMQ.REP;
            case "DEALER": return ZMQ.DEALER;
            case "ROUTER": return ZMQ.ROUTER;
            case "PUSH": return ZMQ.PUSH;
            case "PULL": return ZMQ.PULL;
            default: throw new IllegalArgumentException("unknown socket type " + name);
        }
    }
}
