import mongoose, { type Connection } from 'mongoose';

const { ObjectId } = mongoose.mongo;
type ObjectIdT = InstanceType<typeof ObjectId>;

/** A user of the app. */
export interface User {
  id: string;
  name: string;
  email: string;
  createdAt: string;
}

/** A user's task. */
export interface Task {
  id: string;
  userId: string;
  title: string;
  done: boolean;
  /** ISO 8601 date, if any. */
  due: string | null;
  createdAt: string;
}

interface UserDoc {
  _id: ObjectIdT;
  name: string;
  email: string;
  createdAt: Date;
}

interface TaskDoc {
  _id: ObjectIdT;
  userId: string;
  title: string;
  done: boolean;
  due: Date | null;
  createdAt: Date;
}

const toUser = (d: UserDoc): User => ({
  id: d._id.toHexString(),
  name: d.name,
  email: d.email,
  createdAt: d.createdAt.toISOString(),
});

const toTask = (d: TaskDoc): Task => ({
  id: d._id.toHexString(),
  userId: d.userId,
  title: d.title,
  done: d.done,
  due: d.due ? d.due.toISOString().slice(0, 10) : null,
  createdAt: d.createdAt.toISOString(),
});

const idOf = (id: string): ObjectIdT | null =>
  ObjectId.isValid(id) && /^[a-f0-9]{24}$/.test(id) ? new ObjectId(id) : null;

/** Users and their tasks, in the app's own database (collections `users` and `tasks`). */
export class TaskStore {
  private constructor(private readonly db: Connection) {}

  /** Connects to `url`, using database `dbName`, and creates the indexes. */
  static async open(url: string, dbName: string): Promise<TaskStore> {
    const db = await mongoose
      .createConnection(url, { dbName, serverSelectionTimeoutMS: 10_000 })
      .asPromise();
    const store = new TaskStore(db);
    // one account per address
    await store.users.createIndex({ email: 1 }, { unique: true });
    // a user's tasks in creation order (the list, the export, the pending count)
    await store.tasks.createIndex({ userId: 1, _id: 1 });
    return store;
  }

  private get users() {
    return this.db.collection<UserDoc>('users');
  }

  private get tasks() {
    return this.db.collection<TaskDoc>('tasks');
  }

  /** Creates a user; null when the address is taken. */
  async createUser(input: { name: string; email: string }): Promise<User | null> {
    const doc: UserDoc = { _id: new ObjectId(), ...input, createdAt: new Date() };
    try {
      await this.users.insertOne(doc);
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return null;
      throw err;
    }
    return toUser(doc);
  }

  async listUsers(): Promise<User[]> {
    return (await this.users.find({}).sort({ _id: 1 }).limit(1000).toArray()).map(toUser);
  }

  async getUser(id: string): Promise<User | null> {
    const _id = idOf(id);
    const doc = _id ? await this.users.findOne({ _id }) : null;
    return doc ? toUser(doc) : null;
  }

  async createTask(
    userId: string,
    input: { title: string; due?: string | undefined },
  ): Promise<Task> {
    const doc: TaskDoc = {
      _id: new ObjectId(),
      userId,
      title: input.title,
      done: false,
      due: input.due ? new Date(input.due) : null,
      createdAt: new Date(),
    };
    await this.tasks.insertOne(doc);
    return toTask(doc);
  }

  /** A user's tasks, oldest first. */
  async listTasks(userId: string): Promise<Task[]> {
    return (await this.tasks.find({ userId }).sort({ _id: 1 }).limit(10_000).toArray()).map(toTask);
  }

  /** Marks a task done or not; null when the user has no such task. */
  async setDone(userId: string, taskId: string, done: boolean): Promise<Task | null> {
    const _id = idOf(taskId);
    if (!_id) return null;
    const doc = await this.tasks.findOneAndUpdate(
      { _id, userId },
      { $set: { done } },
      { returnDocument: 'after' },
    );
    return doc ? toTask(doc) : null;
  }

  /** A user's tasks that are not done, oldest first. */
  async pendingTasks(userId: string): Promise<Task[]> {
    return (
      await this.tasks.find({ userId, done: false }).sort({ _id: 1 }).limit(10_000).toArray()
    ).map(toTask);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
