using Baton.Messages;
using Baton.Sockets;

await using var pull = new PullSocket();
var endpoint = pull.Bind("tcp://127.0.0.1:0");        // returns the bound endpoint, port resolved
await using var push = new PushSocket();
push.Connect(endpoint);                               // the peer need not exist yet; reconnects by itself
await push.SendAsync(new Message("hello", "world"));  // a whole multipart message, atomically
using var message = await pull.ReceiveAsync();
Console.WriteLine(message);                           // frames as UTF-8 joined by tabs
